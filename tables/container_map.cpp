// container_map: cgroup -> container, runtime and pod (see snapshot_table.h
// and containers/container_map.h).
#include "snapshot_table.h"

namespace procsql {

namespace {

namespace col = container_map_col;

struct ContainerMapTable {
	using Row = ContainerEntry;
	static const TableDef& table() { return container_map_table(); }

	static bool fill(Collector& c, std::vector<Row>* rows, std::string* error) { return c.containers(rows, error); }

	static void column(const Row& e, sqlite3_context* ctx, int column) {
		switch (column) {
		case col::cgroup_id: sqlite3_result_int64(ctx, sqlite3_int64(e.cgroup_id)); break;
		case col::cgroup_path: result_utf8(ctx, e.cgroup_path); break;
		case col::container_id: result_nonempty(ctx, e.container_id); break;
		case col::runtime: result_nonempty(ctx, e.runtime); break;
		case col::container_name: result_nonempty(ctx, e.container_name); break;
		case col::image: result_nonempty(ctx, e.image); break;
		case col::pod_uid: result_nonempty(ctx, e.pod_uid); break;
		case col::pod_name: result_nonempty(ctx, e.pod_name); break;
		case col::pod_namespace: result_nonempty(ctx, e.pod_namespace); break;
		case col::created_time:
			if (e.created_time) sqlite3_result_int64(ctx, e.created_time);
			break;
		case col::removed_time:
			if (e.removed_time) sqlite3_result_int64(ctx, e.removed_time);
			break;
		case col::cgroup_path_truncated: sqlite3_result_int(ctx, e.path_truncated ? 1 : 0); break;
		default: break;
		}
	}
};

} // namespace

const sqlite3_module& container_map_module() { return SnapshotTable<ContainerMapTable>::module(); }

} // namespace procsql
