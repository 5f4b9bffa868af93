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
	// Text columns whose text, when not NULL, is their string's bytes (NULs
	// as spaces, invalid UTF-8 as U+FFFD): a LIKE or GLOB literal missing
	// from the string rules the row out before it is read (event_table.h).
	static constexpr TextColumns kPlainText = TextColumns(1) << col::path | TextColumns(1) << col::container_id;

	static const TableDef& table() { return clone_events_table(); }
	static const CloneStore& store(const Collector& c) { return c.clone_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {{kClonePath, "path", {col::path, -1}},
		                                 {kCloneContainerId, "container_id", {col::container_id, -1}}};
		*count = 2;
		return uses;
	}

	static void column(const ColumnContext<CloneRow, kStrings>& c, ColumnOut& out, int column) {
		const CloneRow& r = c.row;
		const bool child = r.row_flags & kLifecycleHasChild;
		switch (column) {
		case col::eid: out.int64(sqlite3_int64(c.eid)); break;
		case col::time: out.int64(r.time_ns / 1000000000); break;
		case col::time_ns: out.int64(r.time_ns); break;
		case col::pid: out.int64(r.pid); break;
		case col::tid:
			if (!(r.row_flags & kLifecycleNoTid)) out.int64(r.tid);
			break;
		case col::comm: out.utf8(text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path:
			if (r.row_flags & kLifecycleHasPath) out.utf8(c.strings[kClonePath]);
			break;
		case col::syscall:
			if (const char* name = clone_syscall_name(CloneSyscall(r.syscall))) {
				out.text(name);
			}
			break;
		case col::flags:
			if (!(r.row_flags & kLifecycleNoFlags)) out.int64(sqlite3_int64(r.flags));
			break;
		case col::flags_text:
			if (!(r.row_flags & kLifecycleNoFlags)) out.text(clone_flags_text(r.flags));
			break;
		case col::new_namespaces:
			if (!(r.row_flags & kLifecycleNoNamespaces)) out.text(namespaces_text(r.new_ns));
			break;
		case col::child_pid:
			if (child) out.int64(r.child_pid);
			break;
		case col::child_tid:
			if (child) out.int64(r.child_tid);
			break;
		case col::child_start_time:
			if (child && !(r.row_flags & kLifecycleNoStartTime)) out.int64(r.child_start_time);
			break;
		case col::uid: out.int64(r.uid); break;
		case col::cgroup_id:
			if (!(r.row_flags & kLifecycleNoProcInfo)) out.int64(sqlite3_int64(r.cgroup_id));
			break;
		case col::mnt_ns:
			if (!(r.row_flags & kLifecycleNoProcInfo)) out.int64(r.mnt_ns);
			break;
		case col::pid_ns:
			if (!(r.row_flags & kLifecycleNoProcInfo)) out.int64(r.pid_ns);
			break;
		case col::result: out.int64(r.result); break;
		case col::container_id: out.nonempty(c.strings[kCloneContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& clone_events_module() { return EventTable<CloneEvents>::module(); }

} // namespace procsql
