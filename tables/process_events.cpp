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
	// Text columns whose text, when not NULL, is their string's bytes (NULs
	// as spaces, invalid UTF-8 as U+FFFD): a LIKE or GLOB literal missing
	// from the string rules the row out before it is read (event_table.h).
	static constexpr TextColumns kPlainText = TextColumns(1) << col::path | TextColumns(1) << col::filename | TextColumns(1) << col::cmdline | TextColumns(1) << col::cwd | TextColumns(1) << col::parent_path | TextColumns(1) << col::container_id;

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

	static void privilege_column(const ExecRow& r, ColumnOut& out, int column) {
		switch (column) {
		case col::cap_effective: out.int64(sqlite3_int64(r.cap_effective)); break;
		case col::cap_permitted: out.int64(sqlite3_int64(r.cap_permitted)); break;
		case col::cap_ambient: out.int64(sqlite3_int64(r.cap_ambient)); break;
		case col::cap_bounding: out.int64(sqlite3_int64(r.cap_bounding)); break;
		case col::no_new_privs: out.int64(r.no_new_privs); break;
		case col::seccomp:
			if (const char* mode = exec_seccomp_name(r.seccomp)) {
				out.text(mode);
			}
			break;
		default: break;
		}
	}

	static void column(const ColumnContext<ExecRow, kStrings>& c, ColumnOut& out, int column) {
		const ExecRow& r = c.row;
		const auto& s = c.strings;
		switch (column) {
		case col::eid: out.int64(sqlite3_int64(c.eid)); break;
		case col::time: out.int64(r.time_ns / 1000000000); break;
		case col::time_ns: out.int64(r.time_ns); break;
		case col::pid: out.int64(r.pid); break;
		case col::tid:
			if (!(r.flags & kExecNoTid)) out.int64(r.tid);
			break;
		case col::parent: out.int64(r.parent); break;
		case col::start_time:
			if (!(r.flags & kExecNoStartTime)) out.int64(r.start_time);
			break;
		case col::parent_path:
			if (r.flags & kExecHasParentPath) out.utf8(s[kExecParentPath]);
			break;
		case col::comm: out.utf8(text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path: out.utf8(s[kExecPath]); break;
		case col::filename: out.utf8(s[kExecFilename]); break;
		case col::cmdline:
			text::cmdline_into(s[kExecArgv], &c.scratch);
			out.text(c.scratch);
			break;
		case col::argv: out.text(text::argv_json(s[kExecArgv])); break;
		case col::argc: out.int64(r.argc); break;
		case col::cmdline_truncated: out.int64((r.flags & kExecCmdlineTruncated) ? 1 : 0); break;
		case col::path_truncated: out.int64((r.flags & kExecPathTruncated) ? 1 : 0); break;
		case col::cwd:
			if (r.flags & kExecHasCwd) out.utf8(s[kExecCwd]);
			break;
		case col::mode:
			if (!(r.flags & kExecNoFileInfo)) out.int64(r.mode);
			break;
		case col::owner_uid:
			if (!(r.flags & kExecNoFileInfo)) out.int64(r.owner_uid);
			break;
		case col::owner_gid:
			if (!(r.flags & kExecNoFileInfo)) out.int64(r.owner_gid);
			break;
		case col::inode:
			if (!(r.flags & kExecNoFileInfo)) out.int64(sqlite3_int64(r.inode));
			break;
		case col::uid: out.int64(r.uid); break;
		case col::euid: out.int64(r.euid); break;
		case col::gid: out.int64(r.gid); break;
		case col::egid: out.int64(r.egid); break;
		case col::auid:
			if (r.flags & kExecHasAuid) out.int64(r.auid);
			break;
		case col::session:
			if (r.flags & kExecHasSession) out.int64(r.session);
			break;
		case col::tty:
			if (r.flags & kExecHasTty) out.text(text::tty_name(text::valid_utf8(s[kExecTty])));
			break;
		case col::cgroup_id:
			if (!(r.flags & kExecNoProcInfo)) out.int64(sqlite3_int64(r.cgroup_id));
			break;
		case col::mnt_ns:
			if (!(r.flags & kExecNoProcInfo)) out.int64(r.mnt_ns);
			break;
		case col::pid_ns:
			if (!(r.flags & kExecNoProcInfo)) out.int64(r.pid_ns);
			break;
		case col::ns_pid:
			if (!(r.flags & kExecNoProcInfo)) out.int64(r.ns_pid);
			break;
		case col::syscall:
			if (const char* name = exec_syscall_name(ExecSyscall(r.syscall))) {
				out.text(name);
			}
			break;
		case col::container_id: out.nonempty(s[kExecContainerId]); break;
		case col::env:
			if (!(r.flags & kExecNoEnv)) out.text(text::env_json(s[kExecEnv]));
			break;
		case col::env_truncated:
			if (!(r.flags & kExecNoEnv)) out.int64((r.flags & kExecEnvTruncated) ? 1 : 0);
			break;
		case col::exe_fs:
			if (!(r.flags & kExecNoExeFs)) out.text(fs_type_name(r.exe_fs_magic));
			break;
		case col::exe_upper_layer:
			if (r.exe_upper != uint8_t(ExecLayer::unknown)) out.int64(r.exe_upper);
			break;
		default:
			if (!(r.flags & kExecNoPrivileges)) privilege_column(r, out, column);
			break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& process_events_module() { return EventTable<ProcessEvents>::module(); }

} // namespace procsql
