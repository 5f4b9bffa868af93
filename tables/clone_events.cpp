// clone_events: process creation, unshare and setns (see event_table.h for
// what every event table shares).
#include "event_table.h"
#include "lifecycle_event.h"

namespace procsql {

namespace {

namespace col = clone_events_col;

struct CloneEvents {
	using Row = CloneRow;
	static constexpr size_t kStrings = kCloneStringCount;
	static constexpr EventColumns kPushable = {col::eid, col::time, col::time_ns, col::pid};

	static const TableDef& table() { return clone_events_table(); }
	static const CloneStore& store(const Collector& c) { return c.clone_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {{kClonePath, "path", {col::path, -1}},
		                                 {kCloneContainerId, "container_id", {col::container_id, -1}}};
		*count = 2;
		return uses;
	}

	static void column(const ColumnContext<CloneRow, kStrings>& c, sqlite3_context* ctx, int column) {
		const CloneRow& r = c.row;
		const bool child = r.row_flags & kLifecycleHasChild;
		switch (column) {
		case col::eid: sqlite3_result_int64(ctx, sqlite3_int64(c.eid)); break;
		case col::time: sqlite3_result_int64(ctx, r.time_ns / 1000000000); break;
		case col::time_ns: sqlite3_result_int64(ctx, r.time_ns); break;
		case col::pid: sqlite3_result_int64(ctx, r.pid); break;
		case col::tid:
			if (!(r.row_flags & kLifecycleNoTid)) sqlite3_result_int64(ctx, r.tid);
			break;
		case col::comm: result_utf8(ctx, text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path:
			if (r.row_flags & kLifecycleHasPath) result_utf8(ctx, c.strings[kClonePath]);
			break;
		case col::syscall:
			if (const char* name = clone_syscall_name(CloneSyscall(r.syscall))) {
				sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
			}
			break;
		case col::flags:
			if (!(r.row_flags & kLifecycleNoFlags)) sqlite3_result_int64(ctx, sqlite3_int64(r.flags));
			break;
		case col::flags_text:
			if (!(r.row_flags & kLifecycleNoFlags)) result_text(ctx, clone_flags_text(r.flags));
			break;
		case col::new_namespaces:
			if (!(r.row_flags & kLifecycleNoNamespaces)) result_text(ctx, namespaces_text(r.new_ns));
			break;
		case col::child_pid:
			if (child) sqlite3_result_int64(ctx, r.child_pid);
			break;
		case col::child_tid:
			if (child) sqlite3_result_int64(ctx, r.child_tid);
			break;
		case col::child_start_time:
			if (child && !(r.row_flags & kLifecycleNoStartTime)) sqlite3_result_int64(ctx, r.child_start_time);
			break;
		case col::uid: sqlite3_result_int64(ctx, r.uid); break;
		case col::cgroup_id:
			if (!(r.row_flags & kLifecycleNoProcInfo)) sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id));
			break;
		case col::mnt_ns:
			if (!(r.row_flags & kLifecycleNoProcInfo)) sqlite3_result_int64(ctx, r.mnt_ns);
			break;
		case col::pid_ns:
			if (!(r.row_flags & kLifecycleNoProcInfo)) sqlite3_result_int64(ctx, r.pid_ns);
			break;
		case col::result: sqlite3_result_int64(ctx, r.result); break;
		case col::container_id: result_nonempty(ctx, c.strings[kCloneContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& clone_events_module() { return EventTable<CloneEvents>::module(); }

} // namespace procsql
