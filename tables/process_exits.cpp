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

	static const TableDef& table() { return process_exits_table(); }
	static const ExitStore& store(const Collector& c) { return c.exit_store(); }

	static const StringUse* string_uses(size_t* count) {
		static const StringUse uses[] = {{kExitPath, "path", {col::path, -1}},
		                                 {kExitContainerId, "container_id", {col::container_id, -1}}};
		*count = 2;
		return uses;
	}

	static void column(const ColumnContext<ExitRow, kStrings>& c, sqlite3_context* ctx, int column) {
		const ExitRow& r = c.row;
		// The wait(2) status: low 7 bits the signal, 0x80 a core, then the code.
		const uint32_t signal = r.status & 0x7f;
		switch (column) {
		case col::eid: sqlite3_result_int64(ctx, sqlite3_int64(c.eid)); break;
		case col::time: sqlite3_result_int64(ctx, r.time_ns / 1000000000); break;
		case col::time_ns: sqlite3_result_int64(ctx, r.time_ns); break;
		case col::pid: sqlite3_result_int64(ctx, r.pid); break;
		case col::start_time:
			if (!(r.row_flags & kLifecycleNoStartTime)) sqlite3_result_int64(ctx, r.start_time);
			break;
		case col::comm: result_utf8(ctx, text::cstr_field(r.comm, sizeof(r.comm))); break;
		case col::path:
			if (r.row_flags & kLifecycleHasPath) result_utf8(ctx, c.strings[kExitPath]);
			break;
		case col::exit_code:
			if (signal == 0) sqlite3_result_int64(ctx, (r.status >> 8) & 0xff);
			break;
		case col::signal:
			if (signal != 0) sqlite3_result_int64(ctx, signal);
			break;
		case col::core_dumped: sqlite3_result_int(ctx, (r.status & 0x80) ? 1 : 0); break;
		case col::duration_ns:
			if (!(r.row_flags & kLifecycleNoStartTime)) sqlite3_result_int64(ctx, r.time_ns - r.start_time);
			break;
		case col::cgroup_id:
			if (!(r.row_flags & kLifecycleNoProcInfo)) sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id));
			break;
		case col::container_id: result_nonempty(ctx, c.strings[kExitContainerId]); break;
		default: break; // NULL
		}
	}
};

} // namespace

const sqlite3_module& process_exits_module() { return EventTable<ProcessExits>::module(); }

} // namespace procsql
