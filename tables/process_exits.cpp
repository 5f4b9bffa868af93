// process_exits: one row per ended process (see event_table.h for what every
// event table shares).
#include "event_table.h"
#include "lifecycle_event.h"

namespace procsql {

namespace {

namespace col = process_exits_col;

struct ProcessExits {
	using Row = ExitRow;
	static constexpr size_t kStrings = kExitStringCount;
	static constexpr EventColumns kPushable = {col::eid, col::time, col::time_ns, col::pid};
	// Text columns whose text, when not NULL, is their string's bytes (NULs
	// as spaces, invalid UTF-8 as U+FFFD): a LIKE or GLOB literal missing
	// from the string rules the row out before it is read (event_table.h).
	static constexpr TextColumns kPlainText = TextColumns(1) << col::path | TextColumns(1) << col::container_id;

	static const TableDef& table() { return process_exits_table(); }
	static const ExitStore& store(const Collector& c) { return c.exit_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {{kExitPath, "path", {col::path, -1}},
		                                 {kExitContainerId, "container_id", {col::container_id, -1}}};
		*count = 2;
		return uses;
	}

	static void column(const ColumnContext<ExitRow, kStrings>& c, ColumnOut& out, int column) {
		const ExitRow& r = c.row;
		// The wait(2) status: low 7 bits the signal, 0x80 a core, then the code.
		const uint32_t signal = r.status & 0x7f;
		switch (column) {
		case col::eid: out.int64(sqlite3_int64(c.eid)); break;
		case col::time: out.int64(r.time_ns / 1000000000); break;
		case col::time_ns: out.int64(r.time_ns); break;
		case col::pid: out.int64(r.pid); break;
		case col::start_time:
			if (!(r.row_flags & kLifecycleNoStartTime)) out.int64(r.start_time);
			break;
		case col::comm: out.utf8(text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path:
			if (r.row_flags & kLifecycleHasPath) out.utf8(c.strings[kExitPath]);
			break;
		case col::exit_code:
			if (signal == 0) out.int64((r.status >> 8) & 0xff);
			break;
		case col::signal:
			if (signal != 0) out.int64(signal);
			break;
		case col::core_dumped: out.int64((r.status & 0x80) ? 1 : 0); break;
		case col::duration_ns:
			if (!(r.row_flags & kLifecycleNoStartTime)) out.int64(r.time_ns - r.start_time);
			break;
		case col::cgroup_id:
			if (!(r.row_flags & kLifecycleNoProcInfo)) out.int64(sqlite3_int64(r.cgroup_id));
			break;
		case col::container_id: out.nonempty(c.strings[kExitContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& process_exits_module() { return EventTable<ProcessExits>::module(); }

} // namespace procsql
