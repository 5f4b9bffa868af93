// process_events: one row per exec, read from the exec store (see
// event_table.h for what every event table shares).
#include "event_table.h"
#include "exec_event.h"
#include "privileges.h"

namespace procsql {

namespace {

namespace col = process_events_col;

struct ProcessEvents {
	using Row = ExecRow;
	static constexpr size_t kStrings = kExecStringCount;
	static constexpr EventColumns kPushable = {col::eid, col::time, col::time_ns, col::pid};

	static const TableDef& table() { return process_events_table(); }
	static const ExecStore& store(const Collector& c) { return c.exec_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {
		    {kExecPath, "path", {col::path, -1}},
		    {kExecFilename, "filename", {col::filename, -1}},
		    {kExecCwd, "cwd", {col::cwd, -1}},
		    {kExecParentPath, "parent_path", {col::parent_path, -1}},
		    {kExecTty, "tty", {col::tty, -1}},
		    {kExecArgv, "argv", {col::argv, col::cmdline}},
		    {kExecContainerId, "container_id", {col::container_id, -1}},
		    {kExecEnv, "env", {col::env, -1}},
		};
		*count = sizeof(uses) / sizeof(uses[0]);
		return uses;
	}

	static void privilege_column(const ExecRow& r, sqlite3_context* ctx, int column) {
		switch (column) {
		case col::cap_effective: sqlite3_result_int64(ctx, sqlite3_int64(r.cap_effective)); break;
		case col::cap_permitted: sqlite3_result_int64(ctx, sqlite3_int64(r.cap_permitted)); break;
		case col::cap_ambient: sqlite3_result_int64(ctx, sqlite3_int64(r.cap_ambient)); break;
		case col::cap_bounding: sqlite3_result_int64(ctx, sqlite3_int64(r.cap_bounding)); break;
		case col::no_new_privs: sqlite3_result_int(ctx, r.no_new_privs); break;
		case col::seccomp:
			if (const char* mode = exec_seccomp_name(r.seccomp)) {
				sqlite3_result_text(ctx, mode, -1, SQLITE_STATIC);
			}
			break;
		default: break;
		}
	}

	static void column(const ColumnContext<ExecRow, kStrings>& c, sqlite3_context* ctx, int column) {
		const ExecRow& r = c.row;
		const auto& s = c.strings;
		switch (column) {
		case col::eid: sqlite3_result_int64(ctx, sqlite3_int64(c.eid)); break;
		case col::time: sqlite3_result_int64(ctx, r.time_ns / 1000000000); break;
		case col::time_ns: sqlite3_result_int64(ctx, r.time_ns); break;
		case col::pid: sqlite3_result_int64(ctx, r.pid); break;
		case col::tid:
			if (!(r.flags & kExecNoTid)) sqlite3_result_int64(ctx, r.tid);
			break;
		case col::parent: sqlite3_result_int64(ctx, r.parent); break;
		case col::start_time:
			if (!(r.flags & kExecNoStartTime)) sqlite3_result_int64(ctx, r.start_time);
			break;
		case col::parent_path:
			if (r.flags & kExecHasParentPath) result_utf8(ctx, s[kExecParentPath]);
			break;
		case col::comm: result_utf8(ctx, text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path: result_utf8(ctx, s[kExecPath]); break;
		case col::filename: result_utf8(ctx, s[kExecFilename]); break;
		case col::cmdline:
			text::cmdline_into(s[kExecArgv], &c.scratch);
			result_text(ctx, c.scratch);
			break;
		case col::argv: result_text(ctx, text::argv_json(s[kExecArgv])); break;
		case col::argc: sqlite3_result_int64(ctx, r.argc); break;
		case col::cmdline_truncated: sqlite3_result_int(ctx, (r.flags & kExecCmdlineTruncated) ? 1 : 0); break;
		case col::path_truncated: sqlite3_result_int(ctx, (r.flags & kExecPathTruncated) ? 1 : 0); break;
		case col::cwd:
			if (r.flags & kExecHasCwd) result_utf8(ctx, s[kExecCwd]);
			break;
		case col::mode:
			if (!(r.flags & kExecNoFileInfo)) sqlite3_result_int64(ctx, r.mode);
			break;
		case col::owner_uid:
			if (!(r.flags & kExecNoFileInfo)) sqlite3_result_int64(ctx, r.owner_uid);
			break;
		case col::owner_gid:
			if (!(r.flags & kExecNoFileInfo)) sqlite3_result_int64(ctx, r.owner_gid);
			break;
		case col::inode:
			if (!(r.flags & kExecNoFileInfo)) sqlite3_result_int64(ctx, sqlite3_int64(r.inode));
			break;
		case col::uid: sqlite3_result_int64(ctx, r.uid); break;
		case col::euid: sqlite3_result_int64(ctx, r.euid); break;
		case col::gid: sqlite3_result_int64(ctx, r.gid); break;
		case col::egid: sqlite3_result_int64(ctx, r.egid); break;
		case col::auid:
			if (r.flags & kExecHasAuid) sqlite3_result_int64(ctx, r.auid);
			break;
		case col::session:
			if (r.flags & kExecHasSession) sqlite3_result_int64(ctx, r.session);
			break;
		case col::tty:
			if (r.flags & kExecHasTty) result_text(ctx, text::tty_name(text::valid_utf8(s[kExecTty])));
			break;
		case col::cgroup_id:
			if (!(r.flags & kExecNoProcInfo)) sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id));
			break;
		case col::mnt_ns:
			if (!(r.flags & kExecNoProcInfo)) sqlite3_result_int64(ctx, r.mnt_ns);
			break;
		case col::pid_ns:
			if (!(r.flags & kExecNoProcInfo)) sqlite3_result_int64(ctx, r.pid_ns);
			break;
		case col::ns_pid:
			if (!(r.flags & kExecNoProcInfo)) sqlite3_result_int64(ctx, r.ns_pid);
			break;
		case col::syscall:
			if (const char* name = exec_syscall_name(ExecSyscall(r.syscall))) {
				sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
			}
			break;
		case col::container_id: result_nonempty(ctx, s[kExecContainerId]); break;
		case col::env:
			if (!(r.flags & kExecNoEnv)) result_text(ctx, text::env_json(s[kExecEnv]));
			break;
		case col::env_truncated:
			if (!(r.flags & kExecNoEnv)) sqlite3_result_int(ctx, (r.flags & kExecEnvTruncated) ? 1 : 0);
			break;
		case col::exe_fs:
			if (!(r.flags & kExecNoExeFs)) result_text(ctx, fs_type_name(r.exe_fs_magic));
			break;
		case col::exe_upper_layer:
			if (r.exe_upper != uint8_t(ExecLayer::unknown)) sqlite3_result_int(ctx, r.exe_upper);
			break;
		default:
			if (!(r.flags & kExecNoPrivileges)) privilege_column(r, ctx, column);
			break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& process_events_module() { return EventTable<ProcessEvents>::module(); }

} // namespace procsql
