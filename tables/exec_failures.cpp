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

	static void column(const ColumnContext<ExecFailureRow, kStrings>& c, sqlite3_context* ctx, int column) {
		const ExecFailureRow& r = c.row;
		const auto& s = c.strings;
		switch (column) {
		case col::eid_: sqlite3_result_int64(ctx, sqlite3_int64(c.eid)); break;
		case col::time_: sqlite3_result_int64(ctx, r.time_ns / 1000000000); break;
		case col::time_ns_: sqlite3_result_int64(ctx, r.time_ns); break;
		case col::pid_: sqlite3_result_int64(ctx, r.pid); break;
		case col::tid_:
			if (!(r.flags & kFailNoTid)) sqlite3_result_int64(ctx, r.tid);
			break;
		case col::start_time_:
			if (!(r.flags & kFailNoStartTime)) sqlite3_result_int64(ctx, r.start_time);
			break;
		case col::parent_: sqlite3_result_int64(ctx, r.parent); break;
		case col::comm_: result_utf8(ctx, text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path_:
			if (r.flags & kFailHasPath) result_utf8(ctx, s[kFailPath]);
			break;
		case col::filename_:
			if (r.flags & kFailHasFilename) result_utf8(ctx, s[kFailFilename]);
			break;
		case col::argv_:
			if (r.flags & kFailHasArgv) result_text(ctx, text::argv_json(s[kFailArgv]));
			break;
		case col::cmdline_:
			if (r.flags & kFailHasArgv) {
				text::cmdline_into(s[kFailArgv], &c.scratch);
				result_text(ctx, c.scratch);
			}
			break;
		case col::argc_:
			if (r.flags & kFailHasArgc) sqlite3_result_int64(ctx, r.argc);
			break;
		case col::cmdline_truncated_: sqlite3_result_int(ctx, (r.flags & kFailCmdlineTruncated) ? 1 : 0); break;
		case col::cwd_:
			if (r.flags & kFailHasCwd) result_utf8(ctx, s[kFailCwd]);
			break;
		case col::syscall_:
			if (const char* name = exec_syscall_name(ExecSyscall(r.syscall))) {
				sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
			}
			break;
		case col::errno_:
			if (const char* name = errno_name(-r.result)) {
				sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
			}
			break;
		case col::result_: sqlite3_result_int64(ctx, r.result); break;
		case col::uid_: sqlite3_result_int64(ctx, r.uid); break;
		case col::euid_: sqlite3_result_int64(ctx, r.euid); break;
		case col::auid_:
			if (r.flags & kFailHasAuid) sqlite3_result_int64(ctx, r.auid);
			break;
		case col::tty_:
			if (r.flags & kFailHasTty) result_text(ctx, text::tty_name(text::valid_utf8(s[kFailTty])));
			break;
		case col::cgroup_id_:
			if (!(r.flags & kFailNoProcInfo)) sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id));
			break;
		case col::container_id_: result_nonempty(ctx, s[kFailContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& exec_failures_module() { return EventTable<ExecFailures>::module(); }

} // namespace procsql
