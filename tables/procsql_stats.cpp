// procsql_stats(name, value): the collector's settings and counters, one
// snapshot per scan (see snapshot_table.h).
#include "snapshot_table.h"

namespace procsql {

namespace {

struct ProcsqlStats {
	using Row = StatRow;
	static const TableDef& table() { return procsql_stats_table(); }
	static bool fill(Collector& c, std::vector<Row>* rows, std::string*) {
		*rows = c.stats();
		return true;
	}
	static void column(const Row& row, sqlite3_context* ctx, int column) {
		if (column == procsql_stats_col::name) {
			result_text(ctx, row.name);
		} else if (row.is_text) {
			result_text(ctx, row.text);
		} else {
			sqlite3_result_int64(ctx, row.integer);
		}
	}
};

} // namespace

const sqlite3_module& procsql_stats_module() { return SnapshotTable<ProcsqlStats>::module(); }

} // namespace procsql
