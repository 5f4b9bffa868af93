// exec_failures: one row per execve/execveat that returned an error (see
// event_table.h for what every event table shares).
#include "event_table.h"
#include "exec_failure_event.h"

namespace procsql {

namespace {

namespace col = exec_failures_col;

struct ExecFailures {
	using Row = ExecFailureRow;
	static constexpr size_t kStrings = kFailStringCount;
	static constexpr EventColumns kPushable = {col::eid_, col::time_, col::time_ns_, col::pid_};
	// Text columns whose text, when not NULL, is their string's bytes (NULs
	// as spaces, invalid UTF-8 as U+FFFD): a LIKE or GLOB literal missing
	// from the string rules the row out before it is read (event_table.h).
	static constexpr TextColumns kPlainText = TextColumns(1) << col::path_ | TextColumns(1) << col::filename_ | TextColumns(1) << col::cmdline_ | TextColumns(1) << col::cwd_ | TextColumns(1) << col::container_id_;

	static const TableDef& table() { return exec_failures_table(); }
	static const ExecFailureStore& store(const Collector& c) { return c.failure_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {
		    {kFailPath, "path", {col::path_, -1}},
		    {kFailFilename, "filename", {col::filename_, -1}},
		    {kFailCwd, "cwd", {col::cwd_, -1}},
		    {kFailTty, "tty", {col::tty_, -1}},
		    {kFailArgv, "argv", {col::argv_, col::cmdline_}},
		    {kFailContainerId, "container_id", {col::container_id_, -1}},
		};
		*count = sizeof(uses) / sizeof(uses[0]);
		return uses;
	}

	static void column(const ColumnContext<ExecFailureRow, kStrings>& c, ColumnOut& out, int column) {
		const ExecFailureRow& r = c.row;
		const auto& s = c.strings;
		switch (column) {
		case col::eid_: out.int64(sqlite3_int64(c.eid)); break;
		case col::time_: out.int64(r.time_ns / 1000000000); break;
		case col::time_ns_: out.int64(r.time_ns); break;
		case col::pid_: out.int64(r.pid); break;
		case col::tid_:
			if (!(r.flags & kFailNoTid)) out.int64(r.tid);
			break;
		case col::start_time_:
			if (!(r.flags & kFailNoStartTime)) out.int64(r.start_time);
			break;
		case col::parent_: out.int64(r.parent); break;
		case col::comm_: out.utf8(text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path_:
			if (r.flags & kFailHasPath) out.utf8(s[kFailPath]);
			break;
		case col::filename_:
			if (r.flags & kFailHasFilename) out.utf8(s[kFailFilename]);
			break;
		case col::argv_:
			if (r.flags & kFailHasArgv) out.text(text::argv_json(s[kFailArgv]));
			break;
		case col::cmdline_:
			if (r.flags & kFailHasArgv) {
				text::cmdline_into(s[kFailArgv], &c.scratch);
				out.text(c.scratch);
			}
			break;
		case col::argc_:
			if (r.flags & kFailHasArgc) out.int64(r.argc);
			break;
		case col::cmdline_truncated_: out.int64((r.flags & kFailCmdlineTruncated) ? 1 : 0); break;
		case col::cwd_:
			if (r.flags & kFailHasCwd) out.utf8(s[kFailCwd]);
			break;
		case col::syscall_:
			if (const char* name = exec_syscall_name(ExecSyscall(r.syscall))) {
				out.text(name);
			}
			break;
		case col::errno_:
			if (const char* name = errno_name(-r.result)) {
				out.text(name);
			}
			break;
		case col::result_: out.int64(r.result); break;
		case col::uid_: out.int64(r.uid); break;
		case col::euid_: out.int64(r.euid); break;
		case col::auid_:
			if (r.flags & kFailHasAuid) out.int64(r.auid);
			break;
		case col::tty_:
			if (r.flags & kFailHasTty) out.text(text::tty_name(text::valid_utf8(s[kFailTty])));
			break;
		case col::cgroup_id_:
			if (!(r.flags & kFailNoProcInfo)) out.int64(sqlite3_int64(r.cgroup_id));
			break;
		case col::container_id_: out.nonempty(s[kFailContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& exec_failures_module() { return EventTable<ExecFailures>::module(); }

} // namespace procsql
