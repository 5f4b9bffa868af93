// processes: the live processes when the query runs, with the meaning of
// process_events' columns (see snapshot_table.h).
#include "exec_event.h"
#include "snapshot_table.h"

namespace procsql {

namespace {

namespace col = processes_col;

struct ProcessRow {
	LiveProcess process;
	std::string container_id;
};

struct Processes {
	using Row = ProcessRow;
	static const TableDef& table() { return processes_table(); }

	static bool fill(Collector& c, std::vector<Row>* rows, std::string* error) {
		std::vector<LiveProcess> live;
		std::vector<std::string> containers;
		if (!c.live_processes(&live, &containers, error)) {
			return false;
		}
		rows->reserve(live.size());
		for (size_t i = 0; i < live.size(); i++) {
			rows->push_back(ProcessRow{std::move(live[i]), std::move(containers[i])});
		}
		return true;
	}

	static void privilege_column(const LiveProcess& p, sqlite3_context* ctx, int column) {
		switch (column) {
		case col::cap_effective: sqlite3_result_int64(ctx, sqlite3_int64(p.cap_effective)); break;
		case col::cap_permitted: sqlite3_result_int64(ctx, sqlite3_int64(p.cap_permitted)); break;
		case col::cap_ambient: sqlite3_result_int64(ctx, sqlite3_int64(p.cap_ambient)); break;
		case col::cap_bounding: sqlite3_result_int64(ctx, sqlite3_int64(p.cap_bounding)); break;
		case col::no_new_privs: sqlite3_result_int(ctx, p.no_new_privs); break;
		case col::seccomp:
			if (const char* mode = exec_seccomp_name(p.seccomp)) {
				sqlite3_result_text(ctx, mode, -1, SQLITE_STATIC);
			}
			break;
		default: break;
		}
	}

	static void column(const Row& row, sqlite3_context* ctx, int column) {
		const LiveProcess& p = row.process;
		switch (column) {
		case col::pid: sqlite3_result_int64(ctx, p.pid); break;
		case col::parent: sqlite3_result_int64(ctx, p.parent); break;
		case col::start_time: sqlite3_result_int64(ctx, p.start_time); break;
		case col::path:
			if (p.has_path) result_utf8(ctx, p.path);
			break;
		case col::cmdline: result_text(ctx, text::cmdline(p.argv)); break;
		case col::cwd:
			if (p.has_cwd) result_utf8(ctx, p.cwd);
			break;
		case col::uid: sqlite3_result_int64(ctx, p.uid); break;
		case col::tty:
			if (p.has_tty) result_text(ctx, text::tty_name(text::valid_utf8(p.tty)));
			break;
		case col::cgroup_id: sqlite3_result_int64(ctx, sqlite3_int64(p.cgroup_id)); break;
		case col::container_id: result_nonempty(ctx, row.container_id); break;
		default:
			if (p.has_privileges) {
				privilege_column(p, ctx, column);
			}
			break;
		}
	}
};

} // namespace

const sqlite3_module& processes_module() { return SnapshotTable<Processes>::module(); }

} // namespace procsql
