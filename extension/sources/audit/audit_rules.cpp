#include "sources/audit/audit_rules.h"

#include <fcntl.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

namespace procsql {

namespace {

constexpr std::string_view kKeyPrefix = "procsql-";
constexpr size_t kInstanceChars = 8;
constexpr uint32_t kCloneThread = 0x00010000; // CLONE_THREAD, the same on every arch
constexpr size_t kRuleHeader = sizeof(struct audit_rule_data);

// The order is the order of the rule's -S list (only cosmetic: a bitmap).
const char* const kSyscalls[] = {"execve", "execveat", "clone",   "clone3",    "fork",
                                 "vfork",  "unshare",  "setns",   "exit_group"};

constexpr char kLockedMessage[] = "audit rules are locked (auditctl -e 2): procsql cannot add its rules; "
                                  "add them at boot or use PROCSQL_BACKEND=bpf";

bool parse_decimal(std::string_view s, uint64_t max, uint64_t* out) {
	if (s.empty() || s.size() > 20) {
		return false;
	}
	uint64_t v = 0;
	for (const char c : s) {
		if (c < '0' || c > '9') {
			return false;
		}
		const uint64_t d = uint64_t(c - '0');
		if (v > (max - d) / 10) {
			return false;
		}
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
	return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

uint32_t rule_u32(const AuditRule& rule, size_t offset) {
	uint32_t v = 0;
	if (rule.data.size() >= offset + sizeof(v)) {
		std::memcpy(&v, rule.data.data() + offset, sizeof(v));
	}
	return v;
}

// Whether the rule has the field `field` compared with `op` against `value`.
bool rule_has_field(const AuditRule& rule, uint32_t field, uint32_t op, uint32_t value) {
	const uint32_t n = std::min<uint32_t>(rule.field_count, AUDIT_MAX_FIELDS);
	for (uint32_t i = 0; i < n; i++) {
		const size_t at = i * sizeof(uint32_t);
		if (rule_u32(rule, offsetof(struct audit_rule_data, fields) + at) == field &&
		    rule_u32(rule, offsetof(struct audit_rule_data, fieldflags) + at) == op &&
		    rule_u32(rule, offsetof(struct audit_rule_data, values) + at) == value) {
			return true;
		}
	}
	return false;
}

const RuleArch* arch_of(const std::vector<RuleArch>& arches, uint32_t arch) {
	for (const RuleArch& a : arches) {
		if (a.arch == arch) {
			return &a;
		}
	}
	return nullptr;
}

// The arches among ours a rule applies to: its own, or all when it has none.
std::vector<const RuleArch*> arches_of_rule(const AuditRule& rule, const std::vector<RuleArch>& arches) {
	std::vector<const RuleArch*> out;
	for (const RuleArch& a : arches) {
		if (rule.arch == 0 || rule.arch == a.arch) {
			out.push_back(&a);
		}
	}
	return out;
}

bool selects_ours(const AuditRule& rule, const std::vector<RuleArch>& arches) {
	for (const RuleArch* a : arches_of_rule(rule, arches)) {
		for (const RuleArch::Syscall& s : a->syscalls) {
			if (rule.has_syscall(s.nr)) {
				return true;
			}
		}
	}
	return false;
}

// Another procsql instance's `never` rule for clone(CLONE_THREAD): exactly
// what this instance adds too when it filters threads.
bool is_procsql_thread_filter(const AuditRule& rule, const std::vector<RuleArch>& arches) {
	int pid = 0;
	uint64_t ticks = 0;
	if (!parse_instance_rule_key(rule.key, &pid, &ticks) || rule.list != AUDIT_FILTER_EXIT ||
	    rule.action != AUDIT_NEVER || rule.all_syscalls || rule.field_count != 3) {
		return false;
	}
	const RuleArch* a = arch_of(arches, rule.arch);
	if (a == nullptr || !rule_has_field(rule, AUDIT_ARG0, AUDIT_BIT_MASK, kCloneThread)) {
		return false;
	}
	for (const RuleArch::Syscall& s : a->syscalls) {
		if (rule.has_syscall(s.nr) != (s.name == "clone")) {
			return false;
		}
	}
	return true;
}

std::string arch_name(uint32_t arch, const std::vector<RuleArch>& arches) {
	if (arch_of(arches, arch) != nullptr) {
		return (arch & __AUDIT_ARCH_64BIT) ? "b64" : "b32";
	}
	const int machine = audit_elf_to_machine(arch);
	const char* name = machine >= 0 ? audit_machine_to_name(machine) : nullptr;
	if (name != nullptr) {
		return name;
	}
	char hex[16];
	std::snprintf(hex, sizeof(hex), "0x%x", arch);
	return hex;
}

} // namespace

std::string instance_rule_key(int pid, uint64_t start_ticks, const std::string& instance_id) {
	std::string id = instance_id.substr(0, kInstanceChars);
	for (char& c : id) {
		if (!std::isalnum(static_cast<unsigned char>(c))) {
			c = 'x';
		}
	}
	if (id.empty()) {
		id = "0";
	}
	return std::string(kKeyPrefix) + std::to_string(pid) + "-" + std::to_string(start_ticks) + "-" + id;
}

bool parse_instance_rule_key(std::string_view key, int* pid, uint64_t* start_ticks) {
	if (!starts_with(key, kKeyPrefix)) {
		return false;
	}
	key.remove_prefix(kKeyPrefix.size());
	const size_t dash1 = key.find('-');
	if (dash1 == std::string_view::npos) {
		return false;
	}
	const size_t dash2 = key.find('-', dash1 + 1);
	if (dash2 == std::string_view::npos) {
		return false;
	}
	uint64_t p = 0, t = 0;
	if (!parse_decimal(key.substr(0, dash1), uint64_t(INT_MAX), &p) || p == 0 ||
	    !parse_decimal(key.substr(dash1 + 1, dash2 - dash1 - 1), UINT64_MAX, &t)) {
		return false;
	}
	const std::string_view id = key.substr(dash2 + 1);
	if (id.empty() || id.size() > kInstanceChars) {
		return false;
	}
	for (const char c : id) {
		if (!std::isalnum(static_cast<unsigned char>(c))) {
			return false;
		}
	}
	*pid = int(p);
	*start_ticks = t;
	return true;
}

bool parse_stat_start_ticks(std::string_view stat, uint64_t* out) {
	// comm (field 2) may hold spaces and parentheses: fields restart after
	// the last ')'. Field 3 (state) is the first token there, 22 the 20th.
	const size_t paren = stat.rfind(')');
	if (paren == std::string_view::npos) {
		return false;
	}
	std::string_view rest = stat.substr(paren + 1);
	int field = 2;
	while (!rest.empty()) {
		const size_t start = rest.find_first_not_of(" \n");
		if (start == std::string_view::npos) {
			break;
		}
		rest.remove_prefix(start);
		size_t end = rest.find_first_of(" \n");
		if (end == std::string_view::npos) {
			end = rest.size();
		}
		if (++field == 22) {
			return parse_decimal(rest.substr(0, end), UINT64_MAX, out);
		}
		rest.remove_prefix(end);
	}
	return false;
}

namespace {

// 1: read; 0: the process does not exist; -1: unreadable for another reason.
int read_stat(int pid, std::string* out) {
	const std::string path = "/proc/" + std::to_string(pid) + "/stat";
	const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return (errno == ENOENT || errno == ESRCH) ? 0 : -1;
	}
	char buf[1024];
	std::string text;
	for (;;) {
		const ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			const int err = errno;
			::close(fd);
			// ESRCH: it exited between open and read.
			return err == ESRCH ? 0 : -1;
		}
		if (n == 0 || text.size() > 16384) {
			break;
		}
		text.append(buf, size_t(n));
	}
	::close(fd);
	*out = std::move(text);
	return 1;
}

} // namespace

bool read_start_ticks(int pid, uint64_t* out) {
	std::string stat;
	return pid > 0 && read_stat(pid, &stat) == 1 && parse_stat_start_ticks(stat, out);
}

bool instance_alive(int pid, uint64_t start_ticks) {
	if (pid <= 0) {
		return false;
	}
	std::string stat;
	const int r = read_stat(pid, &stat);
	if (r == 0) {
		return false;
	}
	uint64_t ticks = 0;
	if (r < 0 || !parse_stat_start_ticks(stat, &ticks)) {
		// Unreadable is not proof of death: keep its rules.
		return true;
	}
	// Same pid, other start time: the pid was reused, the instance is gone.
	return ticks == start_ticks;
}

int RuleArch::nr(std::string_view name) const {
	for (const Syscall& s : syscalls) {
		if (s.name == name) {
			return s.nr;
		}
	}
	return -1;
}

bool procsql_rule_arches(std::vector<RuleArch>* out, std::string* error, bool exits) {
	const int native = audit_detect_machine();
	if (native < 0) {
		*error = "audit: libaudit does not know this machine's architecture";
		return false;
	}
	std::vector<int> machines{native};
	// A 64-bit x86 kernel also runs 32-bit programs, whose syscalls carry
	// the i386 arch and numbers: a b64 rule alone would not see them.
	if (native == MACH_86_64) {
		machines.push_back(MACH_X86);
	}
	std::vector<RuleArch> arches;
	for (const int machine : machines) {
		RuleArch a;
		a.machine = machine;
		a.arch = audit_machine_to_elf(machine);
		if (a.arch == 0) {
			*error = "audit: libaudit has no AUDIT_ARCH value for machine " + std::to_string(machine);
			return false;
		}
		for (const char* name : kSyscalls) {
			if (!exits && std::string_view(name) == "exit_group") {
				continue;
			}
			const int nr = audit_name_to_syscall(name, machine);
			if (nr >= 0) {
				a.syscalls.push_back({name, nr});
			}
		}
		arches.push_back(std::move(a));
	}
	if (arches[0].nr("execve") < 0) {
		*error = "audit: libaudit has no execve for this machine's architecture";
		return false;
	}
	*out = std::move(arches);
	return true;
}

std::vector<uint8_t> build_syscall_rule(uint32_t list, uint32_t action, uint32_t arch,
                                        const std::vector<int>& syscalls, uint32_t a0_bitmask,
                                        const std::string& key) {
	struct audit_rule_data r {};
	r.flags = list;
	r.action = action;
	for (const int nr : syscalls) {
		if (nr >= 0 && nr < AUDIT_BITMASK_SIZE * 32) {
			r.mask[AUDIT_WORD(nr)] |= AUDIT_BIT(nr);
		}
	}
	auto add_field = [&r](uint32_t field, uint32_t op, uint32_t value) {
		r.fields[r.field_count] = field;
		r.fieldflags[r.field_count] = op;
		r.values[r.field_count] = value;
		r.field_count++;
	};
	if (arch != 0) {
		add_field(AUDIT_ARCH, AUDIT_EQUAL, arch);
	}
	if (a0_bitmask != 0) {
		add_field(AUDIT_ARG0, AUDIT_BIT_MASK, a0_bitmask);
	}
	if (!key.empty()) {
		add_field(AUDIT_FILTERKEY, AUDIT_EQUAL, uint32_t(key.size()));
		r.buflen = uint32_t(key.size());
	}
	std::vector<uint8_t> data(kRuleHeader + key.size());
	std::memcpy(data.data(), &r, kRuleHeader);
	std::memcpy(data.data() + kRuleHeader, key.data(), key.size());
	return data;
}

std::string describe_rule(const AuditRule& rule, const std::vector<RuleArch>& arches) {
	const char* action = audit_action_to_name(int(rule.action));
	const char* list = audit_flag_to_name(int(rule.list));
	std::string line = action ? action : std::to_string(rule.action);
	line += ",";
	line += list ? list : std::to_string(rule.list);
	if (rule.arch != 0) {
		line += " arch=" + arch_name(rule.arch, arches);
	}
	if (rule.list == AUDIT_FILTER_EXIT) {
		std::string names;
		if (rule.all_syscalls) {
			names = "all";
		} else {
			std::vector<std::string> seen;
			for (const RuleArch* a : arches_of_rule(rule, arches)) {
				for (const RuleArch::Syscall& s : a->syscalls) {
					if (rule.has_syscall(s.nr) && std::find(seen.begin(), seen.end(), s.name) == seen.end()) {
						seen.push_back(s.name);
					}
				}
			}
			for (const std::string& s : seen) {
				names += (names.empty() ? "" : ",") + s;
			}
		}
		line += " syscalls=" + (names.empty() ? std::string("(none of procsql's)") : names);
	}
	line += " fields=" + std::to_string(rule.field_count);
	line += " key=" + (rule.key.empty() ? std::string("(none)") : rule.key);
	return line;
}

std::vector<std::string> stale_rule_keys(const std::vector<AuditRule>& rules, const std::string& own_key,
                                         const AliveFn& alive) {
	std::vector<std::string> keys;
	for (const AuditRule& rule : rules) {
		int pid = 0;
		uint64_t ticks = 0;
		if (rule.key == own_key || std::find(keys.begin(), keys.end(), rule.key) != keys.end() ||
		    !parse_instance_rule_key(rule.key, &pid, &ticks)) {
			continue;
		}
		if (!alive(pid, ticks)) {
			keys.push_back(rule.key);
		}
	}
	return keys;
}

std::vector<std::string> shadowing_rules(const std::vector<AuditRule>& rules, const std::string& own_key,
                                         const std::vector<RuleArch>& arches, bool threads) {
	// The kernel takes the first exit rule that matches: what comes after
	// our first always rule cannot keep it from firing.
	size_t end = rules.size();
	for (size_t i = 0; i < rules.size(); i++) {
		if (rules[i].key == own_key && rules[i].list == AUDIT_FILTER_EXIT && rules[i].action == AUDIT_ALWAYS) {
			end = i;
			break;
		}
	}
	std::vector<std::string> lines;
	for (size_t i = 0; i < end; i++) {
		const AuditRule& rule = rules[i];
		if (rule.key == own_key || rule.action != AUDIT_NEVER) {
			continue;
		}
		if (rule.list == AUDIT_FILTER_TASK) {
			// No audit context for the tasks it matches: no syscall records
			// from them at all, whatever the exit rules say.
			lines.push_back(describe_rule(rule, arches));
			continue;
		}
		if (rule.list != AUDIT_FILTER_EXIT || (!threads && is_procsql_thread_filter(rule, arches))) {
			continue;
		}
		if (selects_ours(rule, arches)) {
			lines.push_back(describe_rule(rule, arches));
		}
	}
	return lines;
}

namespace {

// The key of an unconditional always,exit rule under a procsql- key that
// selects execve on the native arch; "" when there is none.
std::string locked_rules_key(const std::vector<AuditRule>& rules, const std::vector<RuleArch>& arches) {
	if (arches.empty()) {
		return "";
	}
	const RuleArch& native = arches[0];
	const int execve = native.nr("execve");
	for (const AuditRule& rule : rules) {
		if (rule.list == AUDIT_FILTER_EXIT && rule.action == AUDIT_ALWAYS && starts_with(rule.key, kKeyPrefix) &&
		    !rule.has_other_fields && (rule.arch == 0 || rule.arch == native.arch) && rule.has_syscall(execve)) {
			return rule.key;
		}
	}
	return "";
}

} // namespace

bool locked_rules_suffice(const std::vector<AuditRule>& rules, const std::vector<RuleArch>& arches) {
	return !locked_rules_key(rules, arches).empty();
}

bool plan_install(uint32_t enabled, const std::vector<AuditRule>& rules, const std::string& key, bool threads,
                  const std::vector<RuleArch>& arches, const AliveFn& alive, InstallPlan* out,
                  std::string* error) {
	*out = InstallPlan{};
	if (!starts_with(key, kKeyPrefix) || key.size() > AUDIT_MAX_KEY_LEN) {
		*error = "audit: \"" + key + "\" is not a procsql rule key";
		return false;
	}
	if (arches.empty()) {
		*error = "audit: no architecture to add rules for";
		return false;
	}
	if (enabled == 2) {
		// Locked until reboot: no add, no delete is possible (or tried).
		const std::string existing = locked_rules_key(rules, arches);
		if (existing.empty()) {
			*error = kLockedMessage;
			return false;
		}
		out->locked = true;
		out->shadowing = shadowing_rules(rules, existing, arches, threads);
		return true;
	}
	out->stale_keys = stale_rule_keys(rules, key, alive);
	std::vector<AuditRule> kept;
	for (size_t i = 0; i < rules.size(); i++) {
		const AuditRule& rule = rules[i];
		if (rule.key == key ||
		    std::find(out->stale_keys.begin(), out->stale_keys.end(), rule.key) != out->stale_keys.end()) {
			out->deletes.push_back(i);
		} else {
			kept.push_back(rule);
		}
	}
	out->shadowing = shadowing_rules(kept, key, arches, threads);
	// The thread filter is appended like the rest, so it sits after every
	// rule already there and just before procsql's own: prepended, it would
	// also silence thread-creating clones for everybody else's rules.
	if (!threads) {
		for (const RuleArch& a : arches) {
			const int clone = a.nr("clone");
			if (clone < 0) {
				continue;
			}
			out->adds.push_back({build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, a.arch, {clone}, kCloneThread, key),
			                     AUDIT_FILTER_EXIT, AUDIT_NEVER});
		}
	}
	for (const RuleArch& a : arches) {
		std::vector<int> nrs;
		for (const RuleArch::Syscall& s : a.syscalls) {
			nrs.push_back(s.nr);
		}
		out->adds.push_back({build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, a.arch, nrs, 0, key),
		                     AUDIT_FILTER_EXIT, AUDIT_ALWAYS});
	}
	return true;
}

bool install_rules(AuditControl& control, const std::string& key, bool threads, RuleInstall* out,
                   std::string* error, bool exits) {
	try {
		*out = RuleInstall{};
		AuditStatus status;
		std::vector<RuleArch> arches;
		std::vector<AuditRule> rules;
		if (!control.status(&status, error) || !procsql_rule_arches(&arches, error, exits) ||
		    !control.list_rules(&rules, error)) {
			return false;
		}
		InstallPlan plan;
		if (!plan_install(status.enabled, rules, key, threads, arches, instance_alive, &plan, error)) {
			return false;
		}
		if (plan.locked) {
			out->shadowing = std::move(plan.shadowing);
			return true;
		}
		for (const size_t i : plan.deletes) {
			std::string why;
			// ENOENT: another instance starting now deleted the same stale
			// rule first; what matters is that it is gone.
			if (!control.delete_rule(rules[i], &why) && control.last_errno() != ENOENT) {
				*error = "audit: deleting the rule \"" + describe_rule(rules[i], arches) + "\": " + why;
				return false;
			}
		}
		out->stale_keys_removed = plan.stale_keys;
		std::vector<std::vector<uint8_t>> added;
		for (const InstallPlan::Add& add : plan.adds) {
			std::string why;
			if (!control.add_rule(add.data, add.list, add.action, &why)) {
				// All or nothing: a half set would record execs without
				// their clones, or threads the user did not ask for.
				size_t undone = 0;
				for (const std::vector<uint8_t>& data : added) {
					AuditRule rule;
					std::string ignored;
					if (parse_audit_rule(data.data(), data.size(), &rule, &ignored) &&
					    control.delete_rule(rule, &ignored)) {
						undone++;
					}
				}
				*error = why + " (key " + key + "; the " + std::to_string(undone) + " of " +
				         std::to_string(added.size()) + " rules added before were deleted again)";
				return false;
			}
			// As the kernel will list it (flags and action set), to delete it again on failure.
			std::vector<uint8_t> data = add.data;
			const uint32_t flags = add.list, action = add.action;
			std::memcpy(data.data() + offsetof(struct audit_rule_data, flags), &flags, sizeof(flags));
			std::memcpy(data.data() + offsetof(struct audit_rule_data, action), &action, sizeof(action));
			added.push_back(std::move(data));
		}
		out->rules_added = added.size();
		out->shadowing = std::move(plan.shadowing);
		return true;
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory installing procsql's rules";
		return false;
	}
}

bool remove_rules(AuditControl& control, const std::string& key, std::string* error) {
	try {
		if (key.empty()) {
			// "" is every rule without a key: never ours to delete.
			*error = "audit: refusing to remove rules under an empty key";
			return false;
		}
		std::vector<AuditRule> rules;
		if (!control.list_rules(&rules, error)) {
			return false;
		}
		for (const AuditRule& rule : rules) {
			if (rule.key != key) {
				continue;
			}
			std::string why;
			if (!control.delete_rule(rule, &why) && control.last_errno() != ENOENT) {
				AuditStatus status;
				std::string ignored;
				if (control.status(&status, &ignored) && status.enabled == 2) {
					*error = "audit rules are locked (auditctl -e 2): procsql cannot remove its rules (key " + key +
					         ") before a reboot";
				} else {
					*error = "audit: removing the rules under key " + key + ": " + why;
				}
				return false;
			}
		}
		return true;
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory removing procsql's rules";
		return false;
	}
}

} // namespace procsql
