#include "sources/audit/audit_decoder.h"

#include <libaudit.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

namespace procsql {
namespace {

constexpr uint64_t kCloneVm = 0x00000100;
constexpr uint64_t kCloneVfork = 0x00004000;
constexpr uint64_t kCloneSignalMask = 0xff; // CSIGNAL: clone's exit signal, not a flag
constexpr uint32_t kUnset = 4294967295u;    // (uid_t)-1 / AUDIT_SID_UNSET
constexpr int kAtFdcwd = -100;

bool fail(std::string* why, std::string reason) {
	if (why) *why = std::move(reason);
	return false;
}

// Bits of (1 << kind) for the CLONE_NEW* flags, kinds as kNamespaceNames:
// the same mapping as the eBPF side (bpf/lifecycle.bpf.h).
uint32_t ns_from_flags(uint64_t flags) {
	uint32_t ns = 0;
	if (flags & 0x00020000ULL) ns |= 1u << 0; // CLONE_NEWNS -> mnt
	if (flags & 0x04000000ULL) ns |= 1u << 1; // CLONE_NEWUTS
	if (flags & 0x08000000ULL) ns |= 1u << 2; // CLONE_NEWIPC
	if (flags & 0x10000000ULL) ns |= 1u << 3; // CLONE_NEWUSER
	if (flags & 0x20000000ULL) ns |= 1u << 4; // CLONE_NEWPID
	if (flags & 0x40000000ULL) ns |= 1u << 5; // CLONE_NEWNET
	if (flags & 0x02000000ULL) ns |= 1u << 6; // CLONE_NEWCGROUP
	if (flags & 0x00000080ULL) ns |= 1u << 7; // CLONE_NEWTIME
	return ns;
}

// comm as the kernel keeps it: at most 15 bytes and a NUL, the rest zero
// (the eBPF rows are the same, so both sources compare equal).
void set_comm(char (&comm)[16], std::string_view s) {
	std::memset(comm, 0, sizeof(comm));
	std::memcpy(comm, s.data(), std::min(s.size(), sizeof(comm) - 1));
}

std::string_view basename(std::string_view p) {
	const size_t slash = p.rfind('/');
	return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// A d_path() result the kernel could not produce: audit_log_d_path writes
// these markers quoted where the path would be. Real paths from d_path start
// with '/' (or "(unreachable)"), so they cannot be confused with one.
bool is_path_marker(std::string_view s) { return s == "<too_long>" || s == "<no_memory>"; }

// A string field that names a path or a command: absent and "(null)" read as
// no value; hex that does not decode is malformed.
enum class Text { absent, value, bad };
Text path_text(const AuditRecord& r, std::string_view name, std::string* out) {
	out->clear();
	const AuditRecord::Field* f = r.field(name);
	if (!f || audit_is_placeholder(*f)) return Text::absent;
	return audit_untrusted_value(*f, out) ? Text::value : Text::bad;
}

// An argument value: quoted or hex, nothing else (the kernel never writes a
// placeholder there, so an unquoted "(null)" is corruption, not an argument).
bool argument_bytes(const AuditRecord::Field& f, std::string* out) {
	out->clear();
	if (f.quoted) {
		out->assign(f.raw);
		return true;
	}
	return !audit_is_placeholder(f) && audit_untrusted_value(f, out);
}

enum class ArgField { none, whole, len, fragment };

// "aN" / "aN_len" / "aN[I]" -> kind, N, I. Anything else (argc, or a field a
// later kernel adds) is none and ignored.
ArgField classify_arg(std::string_view name, uint64_t* n, uint64_t* index) {
	if (name.size() < 2 || name[0] != 'a') return ArgField::none;
	auto number = [](std::string_view s, size_t* pos, uint64_t* v) {
		const size_t start = *pos;
		uint64_t x = 0;
		while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9' && *pos - start < 10) {
			x = x * 10 + uint64_t(s[*pos] - '0');
			(*pos)++;
		}
		if (*pos == start || (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9')) return false;
		if (s[start] == '0' && *pos - start > 1) return false; // the kernel writes %d
		*v = x;
		return true;
	};
	size_t pos = 1;
	if (!number(name, &pos, n)) return ArgField::none;
	const std::string_view rest = name.substr(pos);
	if (rest.empty()) return ArgField::whole;
	if (rest == "_len") return ArgField::len;
	if (rest.size() >= 3 && rest.front() == '[' && rest.back() == ']') {
		const std::string_view inner = rest.substr(1, rest.size() - 2);
		size_t ipos = 0;
		if (number(inner, &ipos, index) && ipos == inner.size()) return ArgField::fragment;
	}
	return ArgField::none;
}

// The EXECVE records -> argc, the NUL-terminated arguments (a prefix of at
// most `limit` bytes) and the first arguments whole (for the script check).
struct Argv {
	uint64_t argc = 0;
	uint64_t count = 0;     // arguments seen
	uint64_t total = 0;     // bytes of all of them with their NULs
	bool truncated = false; // over the limit, or arguments/fragments missing
	std::vector<std::string> head; // arguments 0..2, for pick_executed()
};

class ArgvParser {
public:
	ArgvParser(uint32_t limit, std::string* out, Argv* argv) : limit_(limit), out_(out), argv_(argv) {}

	bool field(const AuditRecord::Field& f, std::string* why) {
		if (f.name == "argc") {
			if (have_argc_) return fail(why, "EXECVE argc given twice");
			if (argv_->count > 0 || in_fragment_) return fail(why, "EXECVE argument before argc");
			uint64_t v;
			if (f.quoted || !parse(f.raw, &v) || v > uint64_t(std::numeric_limits<int32_t>::max())) {
				return fail(why, "EXECVE argc is not a number");
			}
			argv_->argc = v;
			have_argc_ = true;
			return true;
		}
		uint64_t n = 0, index = 0;
		const ArgField kind = classify_arg(f.name, &n, &index);
		if (kind == ArgField::none) return true;
		if (!have_argc_) return fail(why, "EXECVE argument before argc");
		switch (kind) {
		case ArgField::whole:
		case ArgField::len:
			if (in_fragment_ && !end_fragment(why)) return false;
			if (n != argv_->count) {
				return fail(why, n < argv_->count ? "EXECVE argument a" + std::to_string(n) + " repeated"
				                                  : "EXECVE argument a" + std::to_string(argv_->count) + " missing");
			}
			if (n >= argv_->argc) return fail(why, "EXECVE holds more arguments than argc");
			if (kind == ArgField::whole) {
				if (!argument_bytes(f, &scratch_)) {
					return fail(why, "EXECVE argument a" + std::to_string(n) + " is neither quoted nor hex");
				}
				append(scratch_);
				end_argument();
			} else {
				if (f.quoted || !parse(f.raw, &declared_)) {
					return fail(why, "EXECVE a" + std::to_string(n) + "_len is not a number");
				}
				in_fragment_ = true;
				next_fragment_ = 0;
				seen_ = 0;
			}
			return true;
		case ArgField::fragment:
			if (!in_fragment_ || n != argv_->count) {
				return fail(why, "EXECVE fragment a" + std::to_string(n) + "[" + std::to_string(index) +
				                     "] without its a" + std::to_string(n) + "_len");
			}
			if (index != next_fragment_) {
				return fail(why, "EXECVE fragment a" + std::to_string(n) + "[" + std::to_string(next_fragment_) +
				                     (index < next_fragment_ ? "] repeated" : "] missing"));
			}
			if (!argument_bytes(f, &scratch_)) {
				return fail(why, "EXECVE fragment a" + std::to_string(n) + "[" + std::to_string(index) +
				                     "] is neither quoted nor hex");
			}
			// aN_len counts what the record holds: hex digits when hex,
			// characters when quoted.
			seen_ += f.raw.size();
			append(scratch_);
			next_fragment_++;
			return true;
		case ArgField::none: break;
		}
		return true;
	}

	bool finish(std::string* why) {
		if (in_fragment_ && !end_fragment(why)) return false;
		if (!have_argc_) return fail(why, "EXECVE record without argc");
		// Fewer arguments than argc: the tail records were lost (backlog,
		// socket overrun) or dropped by the reassembler's cap. The exec still
		// happened; its command line is marked cut, as eBPF marks a long one.
		if (argv_->count < argv_->argc) argv_->truncated = true;
		return true;
	}

private:
	static bool parse(std::string_view s, uint64_t* v) {
		if (s.empty() || s.size() > 19) return false;
		uint64_t x = 0;
		for (char c : s) {
			if (c < '0' || c > '9') return false;
			x = x * 10 + uint64_t(c - '0');
		}
		*v = x;
		return true;
	}

	void append(std::string_view bytes, bool is_argument = true) {
		argv_->total += bytes.size();
		if (out_->size() < limit_) out_->append(bytes.substr(0, limit_ - out_->size()));
		if (is_argument && argv_->count < 3) {
			if (argv_->head.size() <= argv_->count) argv_->head.resize(argv_->count + 1);
			std::string& h = argv_->head[argv_->count];
			// Only compared with PATH names (at most PATH_MAX): a longer
			// prefix would never match anyway.
			if (h.size() < 4097) h.append(bytes.substr(0, 4097 - h.size()));
		}
	}

	void end_argument() {
		append(std::string_view("\0", 1), false);
		if (argv_->total > limit_) argv_->truncated = true;
		argv_->count++;
	}

	bool end_fragment(std::string* why) {
		if (next_fragment_ == 0) {
			// The kernel writes aN_len and aN[0] in one piece.
			return fail(why, "EXECVE a" + std::to_string(argv_->count) + "_len without fragments");
		}
		// Fewer bytes than announced: a continuation record is missing. More
		// is not an error: the kernel takes the length from strnlen_user()
		// before copying, and says itself not to trust it.
		if (seen_ < declared_) argv_->truncated = true;
		in_fragment_ = false;
		end_argument();
		return true;
	}

	const uint32_t limit_;
	std::string* out_;
	Argv* argv_;
	bool have_argc_ = false;
	bool in_fragment_ = false;
	uint64_t declared_ = 0, seen_ = 0, next_fragment_ = 0;
	std::string scratch_;
};

struct PathItem {
	uint64_t item = 0;
	bool has_name = false;
	std::string name;
	bool has_file = false; // inode, mode, ouid, ogid all present
	uint64_t inode = 0, mode = 0, ouid = 0, ogid = 0;
};

// Which PATH item is the file that runs (its inode, mode and owner fill the
// row, as eBPF reads them from bprm->file)? Audit logs one item per name
// the exec looked up, in this order (checked on real records, Debian 12,
// kernel 6.18, tests/unit/fixtures/audit/):
//   item 0    the name passed to exec ("/bin/ls", "./x", "" for fexecve);
//   item 1..  for a "#!" script, each interpreter as the #! line names it
//             ("/bin/sh", "/usr/bin/python3"; nested scripts add more);
//   last      for a dynamic ELF, its PT_INTERP ("/lib64/ld-linux-x86-64.so.2").
// exe= is the file that runs as d_path() resolves it ("/usr/bin/dash").
// Matching names against exe alone fails whenever a name goes through a
// symlink with another base name (/bin/sh -> dash, python3 -> python3.11),
// which is common for interpreters, so, in order:
//   1. an item whose name is exe itself;
//   2. a script's interpreter: binfmt_script makes the #! name argv[0], so
//      an item between the first and the last whose name equals argv[0]
//      (the last item of a dynamic exec is ld.so: excluding it keeps a
//      forged argv[0] from selecting ld.so);
//   3. an item whose base name is exe's ("./lifecycle", execveat's "true");
//   4. item 0: the name as passed, resolved through any symlink (audit
//      records the inode the lookup ended at), or fexecve's descriptor.
// Known gap: a script whose interpreter is a static binary reached through a
// symlink of another name (2 items, rule 2 cannot apply) reports the script.
const PathItem* pick_executed(const std::vector<PathItem>& items, std::string_view exe, const Argv& argv) {
	if (items.empty()) return nullptr;
	if (!exe.empty()) {
		for (const PathItem& p : items) {
			if (p.has_name && p.name == exe) return &p;
		}
	}
	if (items.size() >= 3 && !argv.head.empty()) {
		const std::string& arg0 = argv.head[0];
		for (size_t k = items.size() - 2; k >= 1; k--) { // the innermost interpreter first
			if (items[k].has_name && items[k].name == arg0) return &items[k];
		}
	}
	if (!exe.empty()) {
		const std::string_view exe_base = basename(exe);
		for (const PathItem& p : items) {
			if (p.has_name && !p.name.empty() && basename(p.name) == exe_base) return &p;
		}
	}
	return items.front().item == 0 ? &items.front() : nullptr;
}

bool read_paths(const AuditEvent& event, std::vector<PathItem>* items, std::string* why) {
	for (const AuditRecord& r : event.records) {
		if (r.type != kAuditPath) continue;
		PathItem p;
		if (!r.number("item", &p.item)) return fail(why, "PATH record without item");
		const Text t = path_text(r, "name", &p.name);
		if (t == Text::bad) return fail(why, "PATH record name is neither quoted nor hex");
		p.has_name = t == Text::value;
		p.has_file = r.number("inode", &p.inode) && r.number("mode", &p.mode, 8) && r.number("ouid", &p.ouid) &&
		             r.number("ogid", &p.ogid);
		items->push_back(std::move(p));
	}
	std::stable_sort(items->begin(), items->end(), [](const PathItem& a, const PathItem& b) { return a.item < b.item; });
	return true;
}

// bprm->filename as the kernel builds it (fs/exec.c alloc_bprm): the name as
// passed, except an execveat relative to a descriptor, which it names
// "/dev/fd/N" (empty name, AT_EMPTY_PATH) or "/dev/fd/N/name".
std::string exec_filename(const PathItem* item0, bool execveat, uint64_t a0) {
	if (!item0 || !item0->has_name) return {};
	const int fd = static_cast<int>(static_cast<uint32_t>(a0));
	if (!execveat || fd == kAtFdcwd || (!item0->name.empty() && item0->name[0] == '/')) return item0->name;
	std::string out = "/dev/fd/" + std::to_string(fd);
	if (!item0->name.empty()) out += "/" + item0->name;
	return out;
}

struct Common {
	uint64_t pid = 0;
	std::string comm;
	std::string exe;
	bool exe_truncated = false;
	bool has_exe = false;
};

// The event's CWD record into *cwd: *has when it gave a directory, *cut when
// audit gave a marker in place of one (the path then stays empty). False with
// a reason when the record is malformed.
bool read_cwd(const AuditEvent& event, std::string* cwd, bool* has, bool* cut, std::string* why) {
	for (const AuditRecord& rec : event.records) {
		if (rec.type != kAuditCwd) continue;
		const Text t = path_text(rec, "cwd", cwd);
		if (t == Text::bad) return fail(why, "CWD record is neither quoted nor hex");
		if (t == Text::value && is_path_marker(*cwd)) {
			cwd->clear();
			*cut = true;
		} else if (t == Text::value) {
			*has = true;
		}
		break;
	}
	return true;
}

// The arguments of an event's EXECVE records (there may be several) into
// *raw; *saw says whether the event had any. False with a reason when a
// record is malformed.
bool parse_execve_records(const AuditEvent& event, uint32_t argv_bytes, std::string* raw, Argv* argv, bool* saw,
                          std::string* why) {
	ArgvParser parser(argv_bytes, raw, argv);
	*saw = false;
	for (const AuditRecord& rec : event.records) {
		if (rec.type != kAuditExecve) continue;
		*saw = true;
		for (const AuditRecord::Field& f : rec.fields) {
			if (!parser.field(f, why)) return false;
		}
	}
	return !*saw || parser.finish(why);
}

bool decode_exec(const AuditEvent& event, const AuditRecord& sc, const Common& c, bool execveat, uint32_t argv_bytes,
                 AuditDecoded* out, std::string* why) {
	ExecRow& r = out->exec;
	uint64_t ppid, uid, euid, gid, egid;
	if (!sc.number("ppid", &ppid) || !sc.number("uid", &uid) || !sc.number("euid", &euid) ||
	    !sc.number("gid", &gid) || !sc.number("egid", &egid)) {
		return fail(why, "exec SYSCALL record without ppid/uid/euid/gid/egid");
	}
	if (ppid > uint64_t(std::numeric_limits<int32_t>::max()) || uid > kUnset || euid > kUnset || gid > kUnset ||
	    egid > kUnset) {
		return fail(why, "exec SYSCALL record id out of range");
	}
	r.time_ns = event.time_ns;
	r.pid = int32_t(c.pid);
	r.parent = int32_t(ppid);
	r.uid = uint32_t(uid);
	r.euid = uint32_t(euid);
	r.gid = uint32_t(gid);
	r.egid = uint32_t(egid);
	r.syscall = int32_t(execveat ? ExecSyscall::execveat : ExecSyscall::execve);
	set_comm(r.comm, c.comm);
	uint32_t flags = 0;
	uint64_t v;
	if (sc.number("auid", &v) && v < kUnset) {
		r.auid = uint32_t(v);
		flags |= kExecHasAuid;
	}
	if (sc.number("ses", &v) && v < kUnset) {
		r.session = uint32_t(v);
		flags |= kExecHasSession;
	}
	// tty= is written with %s, not as an untrusted string: a kernel tty name
	// ("pts3", "ttyS0"), or "(none)".
	if (const AuditRecord::Field* tty = sc.field("tty"); tty && !tty->raw.empty() && !audit_is_placeholder(*tty)) {
		out->tty = tty->raw;
		flags |= kExecHasTty;
	}
	if (c.exe_truncated) flags |= kExecPathTruncated;
	out->path = c.exe;

	Argv argv;
	bool saw_execve = false;
	if (!parse_execve_records(event, argv_bytes, &out->argv, &argv, &saw_execve, why)) return false;
	if (saw_execve) {
	} else {
		// The EXECVE record itself was lost: the exec happened, its
		// arguments are unknown.
		argv.truncated = true;
	}
	r.argc = uint32_t(argv.argc);
	if (argv.truncated) flags |= kExecCmdlineTruncated;

	bool has_cwd = false, cwd_cut = false;
	if (!read_cwd(event, &out->cwd, &has_cwd, &cwd_cut, why)) return false;
	if (cwd_cut) flags |= kExecPathTruncated;
	if (has_cwd) flags |= kExecHasCwd;

	std::vector<PathItem> items;
	if (!read_paths(event, &items, why)) return false;
	uint64_t a0 = 0;
	if (execveat && !sc.number("a0", &a0, 16)) return fail(why, "execveat SYSCALL record without a0");
	const PathItem* item0 = !items.empty() && items.front().item == 0 ? &items.front() : nullptr;
	out->filename = exec_filename(item0, execveat, a0);
	const PathItem* run = pick_executed(items, c.exe, argv);
	if (run && run->has_file && run->mode <= UINT32_MAX && run->ouid <= UINT32_MAX && run->ogid <= UINT32_MAX) {
		r.inode = run->inode;
		r.mode = uint32_t(run->mode);
		r.owner_uid = uint32_t(run->ouid);
		r.owner_gid = uint32_t(run->ogid);
	} else {
		flags |= kExecNoFileInfo;
	}
	r.flags = flags;
	out->kind = AuditEventKind::exec;
	return true;
}

// A failed execve/execveat: the caller as it was (a failed exec changes
// nothing), the name as passed (PATH item 0: audit logs the name even when
// the lookup failed), and the arguments when the kernel got far enough to
// log them (an EXECVE record: not for a file it could not open).
bool decode_exec_failure(const AuditEvent& event, const AuditRecord& sc, const Common& c, bool execveat,
                         uint32_t argv_bytes, AuditDecoded* out, std::string* why) {
	ExecFailureRow& r = out->failure;
	uint64_t ppid, uid, euid;
	int64_t result;
	if (!sc.number("ppid", &ppid) || !sc.number("uid", &uid) || !sc.number("euid", &euid)) {
		return fail(why, "exec SYSCALL record without ppid/uid/euid");
	}
	if (!sc.signed_number("exit", &result)) return fail(why, "SYSCALL record without exit");
	if (ppid > uint64_t(std::numeric_limits<int32_t>::max()) || uid > kUnset || euid > kUnset || result >= 0 ||
	    result < std::numeric_limits<int32_t>::min()) {
		return fail(why, "failed exec SYSCALL record field out of range");
	}
	r.time_ns = event.time_ns;
	r.pid = int32_t(c.pid);
	r.parent = int32_t(ppid);
	r.uid = uint32_t(uid);
	r.euid = uint32_t(euid);
	r.result = int32_t(result);
	r.syscall = int32_t(execveat ? ExecSyscall::execveat : ExecSyscall::execve);
	set_comm(r.comm, c.comm);
	uint32_t flags = 0;
	uint64_t v;
	if (sc.number("auid", &v) && v < kUnset) {
		r.auid = uint32_t(v);
		flags |= kFailHasAuid;
	}
	if (const AuditRecord::Field* tty = sc.field("tty"); tty && !tty->raw.empty() && !audit_is_placeholder(*tty)) {
		out->tty = tty->raw;
		flags |= kFailHasTty;
	}
	if (c.has_exe) flags |= kFailHasPath;
	if (c.exe_truncated) flags |= kFailPathTruncated;
	out->path = c.exe;

	Argv argv;
	bool saw_execve = false;
	if (!parse_execve_records(event, argv_bytes, &out->argv, &argv, &saw_execve, why)) return false;
	if (saw_execve) {
		r.argc = uint32_t(argv.argc);
		flags |= kFailHasArgv | kFailHasArgc;
		if (argv.truncated) flags |= kFailCmdlineTruncated;
	} else {
		out->argv.clear();
		flags |= kFailCmdlineTruncated;
	}

	bool has_cwd = false, cwd_cut = false;
	if (!read_cwd(event, &out->cwd, &has_cwd, &cwd_cut, why)) return false;
	if (cwd_cut) flags |= kFailPathTruncated;
	if (has_cwd) flags |= kFailHasCwd;

	std::vector<PathItem> items;
	if (!read_paths(event, &items, why)) return false;
	uint64_t a0 = 0;
	if (execveat && !sc.number("a0", &a0, 16)) return fail(why, "execveat SYSCALL record without a0");
	const PathItem* item0 = !items.empty() && items.front().item == 0 ? &items.front() : nullptr;
	if (item0 && item0->has_name) {
		out->filename = exec_filename(item0, execveat, a0);
		flags |= kFailHasFilename;
	}
	r.flags = flags;
	out->kind = AuditEventKind::exec_failure;
	return true;
}

bool decode_call(const AuditEvent& event, const AuditRecord& sc, const Common& c, CloneSyscall call, int machine,
                 AuditDecoded* out, std::string* why) {
	CloneRow& r = out->call;
	uint64_t uid;
	int64_t result;
	if (!sc.number("uid", &uid) || uid > kUnset) return fail(why, "SYSCALL record without uid");
	if (!sc.signed_number("exit", &result)) return fail(why, "SYSCALL record without exit");
	r.time_ns = event.time_ns;
	r.pid = int32_t(c.pid);
	r.uid = uint32_t(uid);
	r.result = int32_t(result);
	r.syscall = int32_t(call);
	set_comm(r.comm, c.comm);
	const bool ok = result >= 0;
	uint64_t flags = 0;
	uint32_t row_flags = 0;
	auto arg = [&](const char* name, uint64_t* v) {
		if (sc.number(name, v, 16)) return true;
		return fail(why, std::string("SYSCALL record without ") + name);
	};
	switch (call) {
	case CloneSyscall::clone: {
		// s390 passes the new stack first and the flags second
		// (CONFIG_CLONE_BACKWARDS2); every other architecture has them in a0.
		const bool backwards2 = machine == MACH_S390 || machine == MACH_S390X;
		if (!arg(backwards2 ? "a1" : "a0", &flags)) return false;
		flags &= ~kCloneSignalMask;
		break;
	}
	case CloneSyscall::clone3:
		// Its flags are in a struct behind a0: audit cannot show them, nor
		// therefore which namespaces a successful call created.
		row_flags |= kLifecycleNoFlags;
		if (ok) row_flags |= kLifecycleNoNamespaces;
		break;
	case CloneSyscall::fork: break;
	case CloneSyscall::vfork: flags = kCloneVm | kCloneVfork; break; // what the kernel passes itself
	case CloneSyscall::unshare:
		if (!arg("a0", &flags)) return false;
		break;
	case CloneSyscall::setns:
		if (!arg("a1", &flags)) return false;
		flags &= 0xffffffffULL; // nstype is an int
		break;
	case CloneSyscall::none: break;
	}
	r.flags = flags;
	// Only a call that succeeded created namespaces (a failed one none, as
	// eBPF reports it). setns with nstype 0 joins whatever namespace the
	// descriptor is: unknown here, eBPF compares before and after.
	if (ok && call == CloneSyscall::setns && flags == 0) {
		row_flags |= kLifecycleNoNamespaces;
	} else if (ok && !(row_flags & kLifecycleNoNamespaces)) {
		r.new_ns = ns_from_flags(flags);
	}
	if (c.has_exe) row_flags |= kLifecycleHasPath;
	if (c.exe_truncated) row_flags |= kLifecyclePathTruncated;
	r.row_flags = row_flags;
	out->path = c.exe;
	out->kind = AuditEventKind::call;
	return true;
}

bool decode_exit(const AuditEvent& event, const AuditRecord& sc, const Common& c, AuditDecoded* out, std::string* why) {
	ExitRow& r = out->exit;
	uint64_t a0;
	if (!sc.number("a0", &a0, 16)) return fail(why, "exit_group SYSCALL record without a0");
	r.time_ns = event.time_ns;
	r.pid = int32_t(c.pid);
	// do_group_exit((error_code & 0xff) << 8): the status wait(2) reports.
	r.status = uint32_t((a0 & 0xff) << 8);
	set_comm(r.comm, c.comm);
	if (c.has_exe) r.row_flags |= kLifecycleHasPath;
	if (c.exe_truncated) r.row_flags |= kLifecyclePathTruncated;
	out->path = c.exe;
	out->kind = AuditEventKind::exit_group;
	return true;
}

} // namespace

bool decode_audit_event(const AuditEvent& event, uint32_t argv_bytes, AuditDecoded* out, std::string* why) {
	*out = AuditDecoded{};
	const AuditRecord* sc = nullptr;
	for (const AuditRecord& r : event.records) {
		if (r.type != kAuditSyscall) continue;
		if (sc) return fail(why, "two SYSCALL records in one event");
		sc = &r;
	}
	if (!sc) return true; // a user message, a config change, an ANOM_* record...

	std::string key;
	if (path_text(*sc, "key", &key) == Text::bad) return fail(why, "SYSCALL key is neither quoted nor hex");
	uint64_t arch;
	int64_t nr;
	Common c;
	if (!sc->number("arch", &arch, 16) || arch > UINT32_MAX) return fail(why, "SYSCALL record without arch");
	if (!sc->signed_number("syscall", &nr) || nr < 0 || nr > std::numeric_limits<int32_t>::max()) {
		return fail(why, "SYSCALL record without syscall");
	}
	if (!sc->number("pid", &c.pid) || c.pid > uint64_t(std::numeric_limits<int32_t>::max())) {
		return fail(why, "SYSCALL record without pid");
	}
	const int machine = audit_elf_to_machine(static_cast<unsigned int>(arch));
	if (machine < 0) {
		// Not malformed, but procsql would silently miss every event of that
		// architecture: counted as undecodable instead.
		char hex[16];
		std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(arch));
		return fail(why, std::string("SYSCALL arch=") + hex + " unknown to libaudit");
	}
	const char* name = audit_syscall_to_name(static_cast<int>(nr), machine);
	out->key = std::move(key);
	if (!name) return true;
	const std::string_view sname(name);

	if (path_text(*sc, "comm", &c.comm) == Text::bad) return fail(why, "SYSCALL comm is neither quoted nor hex");
	const Text exe = path_text(*sc, "exe", &c.exe);
	if (exe == Text::bad) return fail(why, "SYSCALL exe is neither quoted nor hex");
	c.has_exe = exe == Text::value;
	if (c.has_exe && is_path_marker(c.exe)) {
		c.exe.clear();
		c.exe_truncated = true;
	}

	if (sname == "execve" || sname == "execveat") {
		// A failed exec changed nothing (the process runs on as before): an
		// exec_failures row, not a process_events one.
		const AuditRecord::Field* success = sc->field("success");
		if (!success) return true; // not a record the kernel writes: nothing to go by
		if (success->raw != "yes") {
			return decode_exec_failure(event, *sc, c, sname == "execveat", argv_bytes, out, why);
		}
		return decode_exec(event, *sc, c, sname == "execveat", argv_bytes, out, why);
	}
	CloneSyscall call = CloneSyscall::none;
	if (sname == "clone") call = CloneSyscall::clone;
	else if (sname == "clone3") call = CloneSyscall::clone3;
	else if (sname == "fork") call = CloneSyscall::fork;
	else if (sname == "vfork") call = CloneSyscall::vfork;
	else if (sname == "unshare") call = CloneSyscall::unshare;
	else if (sname == "setns") call = CloneSyscall::setns;
	if (call != CloneSyscall::none) return decode_call(event, *sc, c, call, machine, out, why);
	if (sname == "exit_group") return decode_exit(event, *sc, c, out, why);
	return true;
}

} // namespace procsql
