// procsql's audit rules and the netlink sockets under them.
//
// Pure decisions first (instance keys, /proc stat parsing, rule bytes, which
// rules are stale, which shadow ours, the immutable case), then the real
// kernel (root only): install/remove next to other rules, stale instances,
// shadowing, records on the multicast group and on the registered audit
// socket, and what the kernel demands of privileges.
//
// The machine is left exactly as found: every rule a test adds is under a
// key unique to this test process and deleted in TearDown (even when the
// test failed), the audit enabled state and audit pid are restored, and the
// whole rule list is compared with the one SetUp saw.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sources/audit/audit_netlink.h"
#include "sources/audit/audit_rules.h"
#include "unavailable.h"

namespace procsql {
namespace {

// ---------------------------------------------------------------------------
// Helpers

std::vector<RuleArch> test_arches() {
	// x86_64 numbering, written out so the pure tests do not depend on the
	// machine they run on.
	RuleArch b64;
	b64.machine = MACH_86_64;
	b64.arch = AUDIT_ARCH_X86_64;
	b64.syscalls = {{"execve", 59}, {"execveat", 322}, {"clone", 56},   {"clone3", 435},     {"fork", 57},
	                {"vfork", 58},  {"unshare", 272},  {"setns", 308}, {"exit_group", 231}};
	RuleArch b32;
	b32.machine = MACH_X86;
	b32.arch = AUDIT_ARCH_I386;
	b32.syscalls = {{"execve", 11}, {"execveat", 358}, {"clone", 120},  {"clone3", 435},     {"fork", 2},
	                {"vfork", 190}, {"unshare", 310},  {"setns", 346}, {"exit_group", 252}};
	return {b64, b32};
}

AuditRule rule_from(const std::vector<uint8_t>& data) {
	AuditRule rule;
	std::string why;
	EXPECT_TRUE(parse_audit_rule(data.data(), data.size(), &rule, &why)) << why;
	return rule;
}

AuditRule make_rule(uint32_t list, uint32_t action, uint32_t arch, const std::vector<int>& syscalls,
                    const std::string& key, uint32_t a0_bitmask = 0) {
	return rule_from(build_syscall_rule(list, action, arch, syscalls, a0_bitmask, key));
}

uint64_t own_ticks() {
	uint64_t t = 0;
	EXPECT_TRUE(read_start_ticks(getpid(), &t));
	return t;
}

std::string run(const std::string& command, int* status = nullptr) {
	std::string out;
	FILE* p = popen((command + " 2>&1").c_str(), "r");
	if (p == nullptr) {
		return out;
	}
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		out.append(buf, n);
	}
	const int st = pclose(p);
	if (status) {
		*status = st;
	}
	return out;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
	std::vector<std::string> out;
	size_t start = 0;
	while (start < text.size()) {
		size_t end = text.find('\n', start);
		if (end == std::string::npos) {
			end = text.size();
		}
		const std::string line = text.substr(start, end - start);
		if (line.find(needle) != std::string::npos) {
			out.push_back(line);
		}
		start = end + 1;
	}
	return out;
}

size_t count_key(const std::vector<AuditRule>& rules, const std::string& key) {
	return size_t(std::count_if(rules.begin(), rules.end(), [&](const AuditRule& r) { return r.key == key; }));
}

int64_t now_ms() {
	struct timespec ts {};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Drops one capability from this (forked) process's effective and permitted
// sets: what a non-root caller would lack.
bool drop_capability(int cap) {
	struct __user_cap_header_struct header {};
	header.version = _LINUX_CAPABILITY_VERSION_3;
	struct __user_cap_data_struct data[2] {};
	if (syscall(SYS_capget, &header, data) != 0) {
		return false;
	}
	data[cap / 32].effective &= ~(1u << (cap % 32));
	data[cap / 32].permitted &= ~(1u << (cap % 32));
	data[cap / 32].inheritable &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &header, data) == 0;
}

// Runs fn in a child without `cap`; the child's exit status is fn's result
// (0..125), 126 when the capability could not be dropped.
int in_child_without(int cap, const std::function<int()>& fn) {
	const pid_t pid = fork();
	if (pid == 0) {
		if (!drop_capability(cap)) {
			_exit(126);
		}
		_exit(fn());
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

// ---------------------------------------------------------------------------
// Pure: keys and /proc

TEST(InstanceKey, RoundTrip) {
	const std::string key = instance_rule_key(4242, 987654321, "0123abcd456789ef0123abcd456789ef");
	EXPECT_EQ(key, "procsql-4242-987654321-0123abcd");
	int pid = 0;
	uint64_t ticks = 0;
	ASSERT_TRUE(parse_instance_rule_key(key, &pid, &ticks));
	EXPECT_EQ(pid, 4242);
	EXPECT_EQ(ticks, 987654321u);
	// Odd ids still make keys that parse back.
	EXPECT_EQ(instance_rule_key(1, 2, ""), "procsql-1-2-0");
	EXPECT_EQ(instance_rule_key(1, 2, "a-b c"), "procsql-1-2-axbxc");
	EXPECT_TRUE(parse_instance_rule_key(instance_rule_key(1, 2, "a-b c"), &pid, &ticks));
	EXPECT_TRUE(parse_instance_rule_key("procsql-2147483647-18446744073709551615-ABCDEFGH", &pid, &ticks));
	EXPECT_EQ(pid, 2147483647);
	EXPECT_EQ(ticks, 18446744073709551615u);
}

TEST(InstanceKey, OthersAreNotOurs) {
	int pid = 0;
	uint64_t ticks = 0;
	for (const char* key : {"", "procsql", "procsql-", "procsql-1-2", "procsql-1-2-", "procsql-0-2-ab",
	                        "procsql--2-ab", "procsql-1--ab", "procsql-x-2-ab", "procsql-1-2x-ab", "procsql-1-2-ab-cd",
	                        "procsql-1-2-abcdefghi", "procsql-2147483648-2-ab", "procsql-1-18446744073709551616-ab",
	                        "Procsql-1-2-ab", " procsql-1-2-ab", "procsql-1-2-ab\x01other", "procsql-boot",
	                        "someone_else", "procsql-+1-2-ab"}) {
		EXPECT_FALSE(parse_instance_rule_key(key, &pid, &ticks)) << key;
	}
}

TEST(ProcStat, StartTicksAfterTheLastParenthesis) {
	// comm may contain spaces and ')': field 22 is counted from the last one.
	const std::string stat = "123 (a) b) c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
	                         "5550123 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
	uint64_t t = 0;
	ASSERT_TRUE(parse_stat_start_ticks(stat, &t));
	EXPECT_EQ(t, 5550123u);
	EXPECT_FALSE(parse_stat_start_ticks("123 (x) S 1 2 3", &t));
	EXPECT_FALSE(parse_stat_start_ticks("no parenthesis at all", &t));
	EXPECT_FALSE(parse_stat_start_ticks("", &t));
	EXPECT_FALSE(parse_stat_start_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12a4 0", &t));
}

TEST(ProcStat, InstanceAlive) {
	const uint64_t ticks = own_ticks();
	EXPECT_TRUE(instance_alive(getpid(), ticks));
	// Same pid, other start: the pid was reused by someone else.
	EXPECT_FALSE(instance_alive(getpid(), ticks + 1));
	EXPECT_FALSE(instance_alive(0, ticks));
	EXPECT_FALSE(instance_alive(-5, ticks));
	// A reaped child is gone.
	const pid_t child = fork();
	if (child == 0) {
		_exit(0);
	}
	uint64_t child_ticks = 0;
	read_start_ticks(child, &child_ticks);
	waitpid(child, nullptr, 0);
	EXPECT_FALSE(instance_alive(child, child_ticks));
}

// ---------------------------------------------------------------------------
// Pure: rule bytes

TEST(RuleData, BuiltRuleParsesBack) {
	const std::vector<uint8_t> data =
	    build_syscall_rule(AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND, AUDIT_NEVER, AUDIT_ARCH_X86_64, {56}, 0x10000,
	                       "procsql-1-2-ab");
	EXPECT_EQ(data.size(), sizeof(struct audit_rule_data) + 14);
	const AuditRule rule = rule_from(data);
	EXPECT_EQ(rule.list, uint32_t(AUDIT_FILTER_EXIT)); // the prepend bit is not a list
	EXPECT_EQ(rule.action, uint32_t(AUDIT_NEVER));
	EXPECT_EQ(rule.arch, uint32_t(AUDIT_ARCH_X86_64));
	EXPECT_EQ(rule.key, "procsql-1-2-ab");
	EXPECT_EQ(rule.field_count, 3u);
	EXPECT_TRUE(rule.has_other_fields); // a0&0x10000
	EXPECT_FALSE(rule.all_syscalls);
	EXPECT_TRUE(rule.has_syscall(56));
	EXPECT_FALSE(rule.has_syscall(59));
	EXPECT_FALSE(rule.has_syscall(-1));
	EXPECT_FALSE(rule.has_syscall(2048));
	EXPECT_EQ(rule.data, data);

	const AuditRule plain = make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, 0, {59, 322}, "");
	EXPECT_EQ(plain.arch, 0u);
	EXPECT_EQ(plain.key, "");
	EXPECT_FALSE(plain.has_other_fields);
	EXPECT_TRUE(plain.has_syscall(322));
}

TEST(RuleData, AllSyscallsDespiteClearedClassBits) {
	// auditctl -S all sets every bit; the kernel clears the 16 class bits
	// at the top before it lists the rule.
	std::vector<int> all;
	for (int nr = 0; nr < 2048 - 16; nr++) {
		all.push_back(nr);
	}
	EXPECT_TRUE(make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, 0, all, "x").all_syscalls);
	all.pop_back();
	EXPECT_FALSE(make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, 0, all, "x").all_syscalls);
}

TEST(RuleData, MalformedRulesRefused) {
	const std::vector<uint8_t> good = build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, 0, {59}, 0, "abc");
	AuditRule rule;
	std::string why;
	// Every truncation.
	for (size_t n = 0; n < good.size(); n++) {
		EXPECT_FALSE(parse_audit_rule(good.data(), n, &rule, &why)) << n;
		EXPECT_FALSE(why.empty());
	}
	auto with_u32 = [&](size_t offset, uint32_t v) {
		std::vector<uint8_t> d = good;
		std::memcpy(d.data() + offset, &v, sizeof(v));
		return d;
	};
	std::vector<uint8_t> d = with_u32(offsetof(struct audit_rule_data, field_count), 65);
	EXPECT_FALSE(parse_audit_rule(d.data(), d.size(), &rule, &why));
	d = with_u32(offsetof(struct audit_rule_data, buflen), 4);
	EXPECT_FALSE(parse_audit_rule(d.data(), d.size(), &rule, &why));
	// The key's length beyond buflen.
	d = with_u32(offsetof(struct audit_rule_data, values), 4);
	EXPECT_FALSE(parse_audit_rule(d.data(), d.size(), &rule, &why)) << "key longer than the strings";
	// Random bytes never read out of bounds (checked under ASan).
	std::mt19937 rng(7);
	for (int i = 0; i < 2000; i++) {
		std::vector<uint8_t> junk = good;
		for (int k = 0; k < 8; k++) {
			junk[rng() % junk.size()] = uint8_t(rng());
		}
		junk.resize(rng() % (junk.size() + 64), 0xab);
		(void)parse_audit_rule(junk.data(), junk.size(), &rule, &why);
	}
}

TEST(RuleData, DatagramRecords) {
	// Unicast: nlmsg_len is the payload length (the kernel's quirk);
	// multicast: standard. Both give the same whole text.
	const std::string text = "audit(1732372800.123:4567): arch=c000003e syscall=59 success=yes key=\"k\"";
	auto datagram = [&](uint32_t nlmsg_len, uint16_t type, const std::string& payload) {
		std::vector<uint8_t> d(NLMSG_HDRLEN + payload.size());
		struct nlmsghdr h {};
		h.nlmsg_len = nlmsg_len;
		h.nlmsg_type = type;
		std::memcpy(d.data(), &h, sizeof(h));
		std::memcpy(d.data() + NLMSG_HDRLEN, payload.data(), payload.size());
		return d;
	};
	for (const uint32_t len : {uint32_t(text.size()), uint32_t(NLMSG_HDRLEN + text.size())}) {
		const std::vector<uint8_t> d = datagram(len, 1300, text);
		std::vector<std::pair<uint32_t, std::string>> got;
		EXPECT_EQ(audit_datagram_records(d.data(), d.size(),
		                                 [&](uint32_t t, std::string_view s) { got.emplace_back(t, s); }),
		          1u);
		ASSERT_EQ(got.size(), 1u);
		EXPECT_EQ(got[0].first, 1300u);
		EXPECT_EQ(got[0].second, text) << "nlmsg_len " << len;
	}
	// Trailing NULs cut.
	std::vector<uint8_t> d = datagram(uint32_t(text.size() + 2), 1320, text + std::string(2, '\0'));
	std::string seen;
	audit_datagram_records(d.data(), d.size(), [&](uint32_t, std::string_view s) { seen = s; });
	EXPECT_EQ(seen, text);
	// Replies and control messages are not records.
	for (const uint16_t type : {uint16_t(NLMSG_NOOP), uint16_t(NLMSG_ERROR), uint16_t(NLMSG_DONE),
	                            uint16_t(AUDIT_GET), uint16_t(AUDIT_LIST_RULES)}) {
		d = datagram(uint32_t(NLMSG_HDRLEN + 20), type, std::string(20, 'x'));
		EXPECT_EQ(audit_datagram_records(d.data(), d.size(), [](uint32_t, std::string_view) {}), 0u) << type;
	}
	// Lengths that fit nothing: no record, no read past the end.
	for (const uint32_t bad : {0u, 5u, 1000u, 0xffffffffu}) {
		d = datagram(bad, 1300, text);
		size_t n = audit_datagram_records(d.data(), d.size(), [](uint32_t, std::string_view) {});
		EXPECT_EQ(n, 0u) << bad;
	}
	EXPECT_EQ(audit_datagram_records(d.data(), 3, [](uint32_t, std::string_view) {}), 0u);
}

// ---------------------------------------------------------------------------
// Pure: decisions

TEST(RuleDecisions, StaleKeys) {
	const std::string own = "procsql-100-1000-aaaaaaaa";
	const std::vector<AuditRule> rules = {
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {56}, "procsql-200-2000-bbbbbbbb", 0x10000),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-200-2000-bbbbbbbb"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-300-3000-cccccccc"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, own),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {90}, "someone_else"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-boot"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-400-4000-dddddddd"),
	};
	std::vector<std::pair<int, uint64_t>> asked;
	const AliveFn alive = [&](int pid, uint64_t ticks) {
		asked.emplace_back(pid, ticks);
		return pid == 300; // 200 and 400 are dead
	};
	EXPECT_EQ(stale_rule_keys(rules, own, alive),
	          (std::vector<std::string>{"procsql-200-2000-bbbbbbbb", "procsql-400-4000-dddddddd"}));
	// The own key is never asked about; others once each.
	for (const auto& a : asked) {
		EXPECT_NE(a.first, 100);
	}
	EXPECT_EQ(asked.size(), 3u);
}

TEST(RuleDecisions, Shadowing) {
	const auto arches = test_arches();
	const std::string own = "procsql-100-1000-aaaaaaaa";
	const AuditRule never_execve =
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {59, 322, 90}, "quiet");
	const AuditRule never_chmod = make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {90}, "chmods");
	const AuditRule never_other_arch =
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_AARCH64, {59, 221}, "arm");
	const AuditRule never_no_arch = make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, 0, {11}, "");
	const AuditRule always_execve = make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "exec");
	const AuditRule never_task = make_rule(AUDIT_FILTER_TASK, AUDIT_NEVER, 0, {}, "");
	const AuditRule never_exclude = make_rule(AUDIT_FILTER_EXCLUDE, AUDIT_NEVER, 0, {}, "");
	const AuditRule other_instance_threads =
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {56}, "procsql-300-3000-cccccccc", 0x10000);
	const AuditRule own_always = make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59, 56}, own);
	const AuditRule never_after = make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {59}, "after");

	const std::vector<AuditRule> rules = {never_execve,  never_chmod,   never_other_arch,       never_no_arch,
	                                      always_execve, never_task,    never_exclude,          other_instance_threads,
	                                      own_always,    never_after};
	EXPECT_EQ(shadowing_rules(rules, own, arches, false),
	          (std::vector<std::string>{"never,exit arch=b64 syscalls=execve,execveat fields=2 key=quiet",
	                                    "never,exit syscalls=execve fields=0 key=(none)", "never,task fields=0 key=(none)"}));
	// Wanting threads, another instance's thread filter takes ours.
	const auto with_threads = shadowing_rules(rules, own, arches, true);
	ASSERT_EQ(with_threads.size(), 4u);
	EXPECT_EQ(with_threads[3], "never,exit arch=b64 syscalls=clone fields=3 key=procsql-300-3000-cccccccc");
	// Ours not there yet (about to be appended): everything listed counts.
	std::vector<AuditRule> without_own = rules;
	without_own.erase(without_own.begin() + 8);
	const auto before_install = shadowing_rules(without_own, own, arches, false);
	ASSERT_EQ(before_install.size(), 4u);
	EXPECT_EQ(before_install[3], "never,exit arch=b64 syscalls=execve fields=2 key=after");
	// all syscalls.
	std::vector<int> all;
	for (int nr = 0; nr < 2032; nr++) {
		all.push_back(nr);
	}
	EXPECT_EQ(shadowing_rules({make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_I386, all, "everything")}, own,
	                          arches, false),
	          (std::vector<std::string>{"never,exit arch=b32 syscalls=all fields=2 key=everything"}));
}

TEST(RuleDecisions, PlanUnlocked) {
	const auto arches = test_arches();
	const std::string own = "procsql-100-1000-aaaaaaaa";
	const std::vector<AuditRule> rules = {
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {59}, "quiet"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-200-2000-bbbbbbbb"),
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, own), // an earlier install
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "procsql-300-3000-cccccccc"),
	};
	const AliveFn alive = [](int pid, uint64_t) { return pid == 300; };
	InstallPlan plan;
	std::string error;
	ASSERT_TRUE(plan_install(1, rules, own, false, arches, alive, &plan, &error)) << error;
	EXPECT_FALSE(plan.locked);
	EXPECT_EQ(plan.deletes, (std::vector<size_t>{1, 2}));
	EXPECT_EQ(plan.stale_keys, (std::vector<std::string>{"procsql-200-2000-bbbbbbbb"}));
	EXPECT_EQ(plan.shadowing, (std::vector<std::string>{"never,exit arch=b64 syscalls=execve fields=2 key=quiet"}));
	ASSERT_EQ(plan.adds.size(), 4u);
	for (size_t i = 0; i < 2; i++) {
		const AuditRule never = rule_from(plan.adds[i].data);
		EXPECT_EQ(plan.adds[i].list, uint32_t(AUDIT_FILTER_EXIT)); // appended: others' rules keep their order
		EXPECT_EQ(plan.adds[i].action, uint32_t(AUDIT_NEVER));
		EXPECT_EQ(never.arch, arches[i].arch);
		EXPECT_EQ(never.key, own);
		EXPECT_TRUE(never.has_syscall(arches[i].nr("clone")));
		EXPECT_FALSE(never.has_syscall(arches[i].nr("clone3")));
		EXPECT_EQ(never.field_count, 3u);
	}
	for (size_t i = 0; i < 2; i++) {
		const AuditRule always = rule_from(plan.adds[2 + i].data);
		EXPECT_EQ(plan.adds[2 + i].list, uint32_t(AUDIT_FILTER_EXIT));
		EXPECT_EQ(plan.adds[2 + i].action, uint32_t(AUDIT_ALWAYS));
		EXPECT_EQ(always.arch, arches[i].arch);
		EXPECT_EQ(always.key, own);
		EXPECT_FALSE(always.has_other_fields);
		for (const auto& s : arches[i].syscalls) {
			EXPECT_TRUE(always.has_syscall(s.nr)) << s.name;
		}
		EXPECT_FALSE(always.has_syscall(90));
	}
	// threads: no never rules.
	ASSERT_TRUE(plan_install(0, rules, own, true, arches, alive, &plan, &error)) << error;
	ASSERT_EQ(plan.adds.size(), 2u);
	EXPECT_EQ(plan.adds[0].action, uint32_t(AUDIT_ALWAYS));
	// Not a procsql key: refused (an empty key would be every keyless rule).
	EXPECT_FALSE(plan_install(1, rules, "", false, arches, alive, &plan, &error));
	EXPECT_FALSE(plan_install(1, rules, "someone_else", false, arches, alive, &plan, &error));
}

TEST(RuleDecisions, PlanLocked) {
	const auto arches = test_arches();
	const std::string own = "procsql-100-1000-aaaaaaaa";
	const AliveFn dead = [](int, uint64_t) { return false; };
	InstallPlan plan;
	std::string error;
	const std::string locked_message = "audit rules are locked (auditctl -e 2): procsql cannot add its rules; add "
	                                   "them at boot or use PROCSQL_BACKEND=bpf";
	// No procsql rules: a clear refusal, and nothing planned.
	std::vector<AuditRule> rules = {
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, "exec"),
	    // A dead instance's rule: it is not deleted in this mode either.
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {56}, "procsql-200-2000-bbbbbbbb"),
	    // Conditional: does not select every execve.
	    rule_from(build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59}, 1, "procsql-cond")),
	    // The other arch only.
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_I386, {11}, "procsql-b32"),
	    // never, not always.
	    make_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, AUDIT_ARCH_X86_64, {59}, "procsql-never"),
	};
	EXPECT_FALSE(plan_install(2, rules, own, false, arches, dead, &plan, &error));
	EXPECT_EQ(error, locked_message);
	EXPECT_FALSE(locked_rules_suffice(rules, arches));
	EXPECT_TRUE(plan.adds.empty());
	EXPECT_TRUE(plan.deletes.empty());
	// Rules loaded at boot under a procsql- key: fine, nothing to do.
	rules.push_back(make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, AUDIT_ARCH_X86_64, {59, 322, 56}, "procsql-boot"));
	error.clear();
	ASSERT_TRUE(plan_install(2, rules, own, false, arches, dead, &plan, &error)) << error;
	EXPECT_TRUE(locked_rules_suffice(rules, arches));
	EXPECT_TRUE(plan.locked);
	EXPECT_TRUE(plan.adds.empty());
	EXPECT_TRUE(plan.deletes.empty());
	EXPECT_TRUE(plan.stale_keys.empty());
	EXPECT_EQ(plan.shadowing, (std::vector<std::string>{"never,exit arch=b64 syscalls=execve fields=2 key=procsql-never"}));
	// Without an arch field it selects execve on the native arch too.
	EXPECT_TRUE(locked_rules_suffice({make_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, 0, {59}, "procsql-x")}, arches));
}

TEST(RuleDecisions, MachineArches) {
	std::vector<RuleArch> arches;
	std::string error;
	ASSERT_TRUE(procsql_rule_arches(&arches, &error)) << error;
	ASSERT_FALSE(arches.empty());
	EXPECT_GE(arches[0].nr("execve"), 0);
	EXPECT_GE(arches[0].nr("exit_group"), 0);
	if (audit_detect_machine() == MACH_86_64) {
		ASSERT_EQ(arches.size(), 2u);
		EXPECT_EQ(arches[0].arch, uint32_t(AUDIT_ARCH_X86_64));
		EXPECT_EQ(arches[1].arch, uint32_t(AUDIT_ARCH_I386));
		EXPECT_EQ(arches[0].nr("execve"), 59);
		EXPECT_EQ(arches[1].nr("execve"), 11);
		EXPECT_EQ(arches[1].nr("clone"), 120);
		EXPECT_EQ(arches[0].syscalls.size(), 9u);
	}
}

// ---------------------------------------------------------------------------
// The real kernel

class AuditKernel : public ::testing::Test {
protected:
	void SetUp() override {
		if (geteuid() != 0) {
			PROCSQL_UNAVAILABLE() << "needs root";
		}
		if (audit_detect_machine() != MACH_86_64) {
			PROCSQL_UNAVAILABLE() << "written for x86_64 (auditctl -F arch=b64, one rule each for b64 and b32)";
		}
		std::string error;
		control_ = AuditControl::open(&error);
		ASSERT_TRUE(control_) << error;
		ASSERT_TRUE(control_->status(&before_, &error)) << error;
		if (before_.enabled == 2) {
			PROCSQL_UNAVAILABLE() << "audit is locked on this machine";
		}
		// Output piped into a reader that quits (| head) must not kill the
		// test before TearDown has removed its rules.
		signal(SIGPIPE, SIG_IGN);
		sweep_dead_runs();
		ASSERT_TRUE(control_->list_rules(&rules_before_, &error)) << error;
		ticks_ = own_ticks();
		own_key_ = instance_rule_key(getpid(), ticks_, "a1b2c3d4e5f6");
		tag_ = std::to_string(getpid());
		for (const AuditRule& r : rules_before_) {
			ASSERT_EQ(r.key.find(tag_), std::string::npos) << "a rule of this test's keys exists already";
		}
		set_up_ = true;
	}

	void TearDown() override {
		if (!set_up_) {
			return;
		}
		std::string error;
		for (const pid_t pid : children_) {
			kill(pid, SIGKILL);
			waitpid(pid, nullptr, 0);
		}
		if (registered_) {
			EXPECT_TRUE(registered_->set_pid(0, &error)) << error;
		}
		if (enabled_changed_) {
			// Back to what SetUp saw, unless someone else changed it since.
			AuditStatus now;
			if (control_->status(&now, &error) && now.enabled == 1) {
				EXPECT_TRUE(control_->set_enabled(before_.enabled, &error)) << error;
			}
		}
		// Only the keys this test made.
		for (const std::string& key : keys_) {
			EXPECT_TRUE(remove_rules(*control_, key, &error)) << key << ": " << error;
		}
		AuditStatus after;
		ASSERT_TRUE(control_->status(&after, &error)) << error;
		EXPECT_EQ(after.enabled, before_.enabled);
		EXPECT_EQ(after.pid, before_.pid);
		EXPECT_EQ(after.backlog_limit, before_.backlog_limit);
		std::vector<AuditRule> rules;
		ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
		// None of ours left; all that was there still there, in the same
		// order (but another procsql instance's, which come and go with it).
		for (const AuditRule& r : rules) {
			EXPECT_EQ(std::find(keys_.begin(), keys_.end(), r.key), keys_.end()) << r.key;
		}
		std::vector<const AuditRule*> now, then;
		for (const AuditRule& r : rules) {
			if (r.key.rfind("procsql-", 0) != 0) {
				now.push_back(&r);
			}
		}
		for (const AuditRule& r : rules_before_) {
			if (r.key.rfind("procsql-", 0) != 0) {
				then.push_back(&r);
			}
		}
		ASSERT_EQ(now.size(), then.size()) << run("auditctl -l");
		for (size_t i = 0; i < now.size(); i++) {
			EXPECT_EQ(now[i]->data, then[i]->data) << "rule " << i;
		}
	}

	// Rules a killed earlier run of this test left (its procsql- keys are
	// install's business; these are the test's own other keys).
	void sweep_dead_runs() {
		std::vector<AuditRule> rules;
		std::string error;
		ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
		for (const AuditRule& r : rules) {
			const size_t dash = r.key.rfind('-');
			if (r.key.rfind("procsql_test_", 0) != 0 || dash == std::string::npos) {
				continue;
			}
			const int pid = std::atoi(r.key.c_str() + dash + 1);
			if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
				EXPECT_TRUE(control_->delete_rule(r, &error)) << error;
			}
		}
	}

	std::string key(const std::string& name) {
		keys_.push_back(name);
		return name;
	}

	void enable_audit() {
		if (before_.enabled == 0) {
			std::string error;
			enabled_changed_ = true;
			ASSERT_TRUE(control_->set_enabled(1, &error)) << error;
		}
	}

	pid_t sleeping_child() {
		const pid_t pid = fork();
		if (pid == 0) {
			for (;;) {
				pause();
			}
		}
		children_.push_back(pid);
		return pid;
	}

	// Runs /bin/true in a child; returns its pid once reaped.
	static pid_t run_true() {
		const pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", static_cast<char*>(nullptr));
			_exit(127);
		}
		waitpid(pid, nullptr, 0);
		return pid;
	}

	std::unique_ptr<AuditControl> control_;
	AuditControl* registered_ = nullptr;
	AuditStatus before_;
	std::vector<AuditRule> rules_before_;
	uint64_t ticks_ = 0;
	std::string own_key_, tag_;
	std::vector<std::string> keys_;
	std::vector<pid_t> children_;
	bool enabled_changed_ = false;
	bool set_up_ = false;
};

TEST_F(AuditKernel, InstallAddsAndRemoveRemovesExactlyOurs) {
	std::string error;
	const std::string other = key("procsql_test_someone_else-" + tag_);
	int st = 0;
	const std::string out = run("auditctl -a always,exit -F arch=b64 -S chmod -k " + other, &st);
	ASSERT_EQ(st, 0) << out;

	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	std::vector<RuleArch> arches;
	ASSERT_TRUE(procsql_rule_arches(&arches, &error)) << error;
	EXPECT_EQ(result.rules_added, 2 * arches.size());
	EXPECT_TRUE(result.stale_keys_removed.empty());
	EXPECT_TRUE(result.shadowing.empty()) << result.shadowing[0];

	std::vector<AuditRule> rules;
	ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
	EXPECT_EQ(count_key(rules, own), 2 * arches.size());
	EXPECT_EQ(count_key(rules, other), 1u);
	// auditctl -l: the rule that was there first (procsql appends), then
	// the never rules, then the always rules.
	const std::string listed = run("auditctl -l");
	std::vector<std::string> lines;
	for (const std::string& line : lines_with(listed, "-a ")) {
		if (line.find("key=" + own) != std::string::npos || line.find("key=" + other) != std::string::npos) {
			lines.push_back(line);
		}
	}
	ASSERT_EQ(lines.size(), 1 + 2 * arches.size()) << listed;
	const std::string never = " -S clone -F a0&0x10000 -F key=" + own;
	EXPECT_EQ(lines[0], "-a always,exit -F arch=b64 -S chmod -F key=" + other) << listed;
	EXPECT_EQ(lines[1], "-a never,exit -F arch=b64" + never) << listed;
	EXPECT_EQ(lines[2], "-a never,exit -F arch=b32" + never) << listed;
	for (const size_t i : {size_t(3), size_t(4)}) {
		EXPECT_EQ(lines[i].find(i == 3 ? "-a always,exit -F arch=b64 -S " : "-a always,exit -F arch=b32 -S "), 0u)
		    << lines[i];
		EXPECT_NE(lines[i].find(" -F key=" + own), std::string::npos) << lines[i];
		for (const char* name : {"execve", "execveat", "clone", "clone3", "fork", "vfork", "unshare", "setns",
		                         "exit_group"}) {
			EXPECT_NE(lines[i].find(name), std::string::npos) << name << " in " << lines[i];
		}
		EXPECT_EQ(lines[i].find("chmod"), std::string::npos) << lines[i];
	}

	// Installing again (the same instance) replaces, does not duplicate.
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
	EXPECT_EQ(count_key(rules, own), 2 * arches.size());

	ASSERT_TRUE(remove_rules(*control_, own, &error)) << error;
	ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
	EXPECT_EQ(count_key(rules, own), 0u);
	EXPECT_EQ(count_key(rules, other), 1u);
	EXPECT_EQ(run("auditctl -l").find(own), std::string::npos);
	// Nothing left: removing again is fine.
	EXPECT_TRUE(remove_rules(*control_, own, &error)) << error;
	EXPECT_FALSE(remove_rules(*control_, "", &error));

	// With threads: only the always rules.
	ASSERT_TRUE(install_rules(*control_, own, true, &result, &error)) << error;
	EXPECT_EQ(result.rules_added, arches.size());
	EXPECT_TRUE(lines_with(run("auditctl -l"), "never,exit -F arch=b64 -S clone -F a0&0x10000 -F key=" + own).empty());

	// Without exits (the connector reports them): the same rules, less exit_group.
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error, /*exits=*/false)) << error;
	const std::vector<std::string> always = lines_with(run("auditctl -l"), "always,exit");
	size_t own_always = 0;
	for (const std::string& line : always) {
		if (line.find(" -F key=" + own) == std::string::npos) {
			continue;
		}
		own_always++;
		EXPECT_NE(line.find("execve"), std::string::npos) << line;
		EXPECT_NE(line.find("clone3"), std::string::npos) << line;
		EXPECT_NE(line.find("setns"), std::string::npos) << line;
		EXPECT_EQ(line.find("exit_group"), std::string::npos) << line;
	}
	EXPECT_EQ(own_always, arches.size());
	ASSERT_TRUE(remove_rules(*control_, own, &error)) << error;
}

TEST_F(AuditKernel, StaleInstancesRemovedLiveOnesKept) {
	std::string error;
	std::vector<RuleArch> arches;
	ASSERT_TRUE(procsql_rule_arches(&arches, &error)) << error;
	const RuleArch& native = arches[0];

	// A procsql that died without removing its rules.
	const pid_t dead = fork();
	if (dead == 0) {
		pause();
		_exit(0);
	}
	uint64_t dead_ticks = 0;
	ASSERT_TRUE(read_start_ticks(dead, &dead_ticks));
	kill(dead, SIGKILL);
	waitpid(dead, nullptr, 0);
	const std::string dead_key = key(instance_rule_key(dead, dead_ticks, "deadbeef" + tag_));
	// One whose pid now belongs to another process (this one).
	const std::string reused_key = key(instance_rule_key(getpid(), ticks_ + 1, "0badf00d"));
	// One that is running.
	const pid_t live = sleeping_child();
	uint64_t live_ticks = 0;
	ASSERT_TRUE(read_start_ticks(live, &live_ticks));
	const std::string live_key = key(instance_rule_key(live, live_ticks, "11ee11ee"));
	for (const std::string& k : {dead_key, reused_key, live_key}) {
		ASSERT_TRUE(control_->add_rule(build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_NEVER, native.arch,
		                                                  {native.nr("clone")}, 0x10000, k),
		                               AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND, AUDIT_NEVER, &error))
		    << error;
		ASSERT_TRUE(control_->add_rule(
		    build_syscall_rule(AUDIT_FILTER_EXIT, AUDIT_ALWAYS, native.arch, {native.nr("execve")}, 0, k),
		    AUDIT_FILTER_EXIT, AUDIT_ALWAYS, &error))
		    << error;
	}
	const std::string other = key("procsql_test_someone_else-" + tag_);
	int st = 0;
	ASSERT_EQ((run("auditctl -a always,exit -F arch=b64 -S chmod -k " + other, &st), st), 0);

	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	EXPECT_EQ(result.stale_keys_removed, (std::vector<std::string>{reused_key, dead_key}))
	    << "(in list order: the prepended never rules, latest first)";
	// A live instance's CLONE_THREAD filter is no shadow for an instance that filters threads too...
	EXPECT_TRUE(result.shadowing.empty()) << result.shadowing[0];
	std::vector<AuditRule> rules;
	ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
	EXPECT_EQ(count_key(rules, dead_key), 0u);
	EXPECT_EQ(count_key(rules, reused_key), 0u);
	EXPECT_EQ(count_key(rules, live_key), 2u);
	EXPECT_EQ(count_key(rules, other), 1u);
	EXPECT_EQ(count_key(rules, own), 2 * arches.size());
	// ...but it is for one that wants threads.
	ASSERT_TRUE(install_rules(*control_, own, true, &result, &error)) << error;
	ASSERT_EQ(result.shadowing.size(), 1u);
	EXPECT_EQ(result.shadowing[0], "never,exit arch=b64 syscalls=clone fields=3 key=" + live_key);
	ASSERT_TRUE(control_->list_rules(&rules, &error)) << error;
	EXPECT_EQ(count_key(rules, live_key), 2u);
	EXPECT_EQ(count_key(rules, own), arches.size());
}

TEST_F(AuditKernel, EarlierNeverRuleReportedAsShadowing) {
	std::string error;
	const std::string quiet = key("procsql_test_quiet-" + tag_);
	int st = 0;
	ASSERT_EQ((run("auditctl -a never,exit -F arch=b64 -S execve -S chmod -F uid=12345 -k " + quiet, &st), st), 0);
	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	ASSERT_EQ(result.shadowing.size(), 1u);
	EXPECT_EQ(result.shadowing[0], "never,exit arch=b64 syscalls=execve fields=3 key=" + quiet);
	// Ours were appended after it: the thread filter just before our always
	// rules, so that it never hides thread clones from another tool's rules.
	const std::string listed = run("auditctl -l");
	const size_t quiet_at = listed.find(quiet);
	const size_t never_at = listed.find("-a never,exit -F arch=b64 -S clone -F a0&0x10000 -F key=" + own);
	const size_t always_at = listed.find("-a always,exit -F arch=b64 -S clone,");
	ASSERT_NE(quiet_at, std::string::npos) << listed;
	ASSERT_NE(never_at, std::string::npos) << listed;
	ASSERT_NE(always_at, std::string::npos) << listed;
	EXPECT_LT(quiet_at, never_at) << listed;
	EXPECT_LT(never_at, always_at) << listed;
}

// Records with our key on the read-only multicast group (what procsql reads
// when auditd owns the unicast socket).
TEST_F(AuditKernel, MulticastCarriesOurRecords) {
	std::string error;
	auto multicast = AuditMulticast::open(4 << 20, &error);
	ASSERT_TRUE(multicast) << error;
	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	enable_audit();
	const pid_t child = run_true();
	const std::string pid_field = " pid=" + std::to_string(child) + " ";
	bool syscall_seen = false, eoe_seen = false;
	uint64_t overruns = 0;
	const int64_t deadline = now_ms() + 5000;
	while (!(syscall_seen && eoe_seen) && now_ms() < deadline) {
		struct pollfd p {multicast->fd(), POLLIN, 0};
		poll(&p, 1, 200);
		multicast->read_records(
		    [&](uint32_t type, std::string_view text) {
			    if (type == AUDIT_SYSCALL && text.find(pid_field) != std::string_view::npos &&
			        text.find(" syscall=59 ") != std::string_view::npos) {
				    EXPECT_EQ(text.substr(0, 6), "audit(");
				    // The whole record, its last field included.
				    EXPECT_TRUE(text.size() > own.size() + 6 &&
				                text.substr(text.size() - own.size() - 6) == "key=\"" + own + "\"")
				        << text;
				    syscall_seen = true;
			    }
			    if (type == AUDIT_EOE && syscall_seen) {
				    eoe_seen = true;
			    }
		    },
		    &overruns);
	}
	EXPECT_TRUE(syscall_seen);
	EXPECT_TRUE(eoe_seen);
}

// A receive buffer too small for what comes: the kernel drops, read_records
// counts the ENOBUFS and goes on with what is queued.
TEST_F(AuditKernel, MulticastOverrunsCounted) {
	std::string error;
	auto multicast = AuditMulticast::open(1, &error); // the kernel's minimum
	ASSERT_TRUE(multicast) << error;
	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	enable_audit();
	for (int i = 0; i < 30; i++) {
		run_true();
	}
	uint64_t overruns = 0;
	size_t records = 0;
	const int64_t deadline = now_ms() + 2000;
	while (overruns == 0 && now_ms() < deadline) {
		struct pollfd p {multicast->fd(), POLLIN, 0};
		poll(&p, 1, 100);
		records += multicast->read_records([](uint32_t, std::string_view) {}, &overruns);
	}
	EXPECT_GE(overruns, 1u);
	EXPECT_GT(records, 0u);
}

// Registering as the audit daemon: the records go to the very socket that
// asked, whatever its netlink port id (a second audit socket of this process
// does not get the pid as its port id).
TEST_F(AuditKernel, RegisteredSocketGetsTheRecords) {
	std::string error;
	if (before_.pid != 0) {
		PROCSQL_UNAVAILABLE() << "an audit daemon (pid " << before_.pid << ") is registered";
	}
	auto second = AuditControl::open(&error);
	ASSERT_TRUE(second) << error;
	struct sockaddr_nl first_addr {}, second_addr {};
	socklen_t len = sizeof(first_addr);
	ASSERT_EQ(getsockname(control_->fd(), reinterpret_cast<sockaddr*>(&first_addr), &len), 0);
	len = sizeof(second_addr);
	ASSERT_EQ(getsockname(second->fd(), reinterpret_cast<sockaddr*>(&second_addr), &len), 0);
	EXPECT_NE(second_addr.nl_pid, uint32_t(getpid()));

	// The pid must be our own.
	EXPECT_FALSE(second->set_pid(uint32_t(getpid()) + 100000, &error));
	EXPECT_EQ(second->last_errno(), EINVAL) << error;

	registered_ = second.get();
	ASSERT_TRUE(second->set_pid(uint32_t(getpid()), &error)) << error;
	AuditStatus status;
	ASSERT_TRUE(control_->status(&status, &error)) << error;
	EXPECT_EQ(status.pid, uint32_t(getpid()));

	const std::string own = key(own_key_);
	RuleInstall result;
	ASSERT_TRUE(install_rules(*control_, own, false, &result, &error)) << error;
	enable_audit();
	const pid_t child = run_true();
	// A request while records arrive: they are kept for read_records.
	ASSERT_TRUE(second->status(&status, &error)) << error;
	const std::string pid_field = " pid=" + std::to_string(child) + " ";
	bool syscall_seen = false;
	size_t on_first = 0;
	uint64_t overruns = 0;
	const int64_t deadline = now_ms() + 5000;
	while (!syscall_seen && now_ms() < deadline) {
		struct pollfd p {second->fd(), POLLIN, 0};
		poll(&p, 1, 200);
		second->read_records(
		    [&](uint32_t type, std::string_view text) {
			    if (type == AUDIT_SYSCALL && text.find(pid_field) != std::string_view::npos &&
			        text.find(" syscall=59 ") != std::string_view::npos) {
				    // The unicast nlmsg_len counts the payload only: the
				    // record must still end with its key, not 16 bytes short.
				    EXPECT_TRUE(text.size() > own.size() + 6 &&
				                text.substr(text.size() - own.size() - 6) == "key=\"" + own + "\"")
				        << text;
				    syscall_seen = true;
			    }
		    },
		    &overruns);
		control_->read_records([&](uint32_t, std::string_view) { on_first++; }, &overruns);
	}
	EXPECT_TRUE(syscall_seen);
	EXPECT_EQ(on_first, 0u) << "records went to the socket that did not register";

	// Only the registered socket's process may unregister; this one does.
	ASSERT_TRUE(second->set_pid(0, &error)) << error;
	registered_ = nullptr;
	ASSERT_TRUE(control_->status(&status, &error)) << error;
	EXPECT_EQ(status.pid, 0u);
}

TEST_F(AuditKernel, PrivilegesTheKernelDemands) {
	// The control socket opens for anyone; the first request needs
	// CAP_AUDIT_CONTROL, and open() says so.
	EXPECT_EQ(in_child_without(CAP_AUDIT_CONTROL, [] {
		          std::string error;
		          auto c = AuditControl::open(&error);
		          return (!c && error.find("CAP_AUDIT_CONTROL") != std::string::npos) ? 0 : 1;
	          }),
	          0);
	// The multicast group needs CAP_AUDIT_READ (CAP_AUDIT_CONTROL is not enough).
	EXPECT_EQ(in_child_without(CAP_AUDIT_READ, [] {
		          std::string error;
		          auto m = AuditMulticast::open(0, &error);
		          return (!m && error.find("CAP_AUDIT_READ") != std::string::npos) ? 0 : 1;
	          }),
	          0);
	EXPECT_EQ(in_child_without(CAP_AUDIT_CONTROL, [] {
		          std::string error;
		          return AuditMulticast::open(0, &error) ? 0 : 1;
	          }),
	          0);
}

} // namespace
} // namespace procsql
