#include "schema.h"

namespace procsql {

namespace {

#define PROCSQL_COLUMN_DEF(name, type, doc) {#name, ColumnType::type, doc},
const ColumnDef kProcessEventsColumns[] = {PROCSQL_PROCESS_EVENTS_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcsqlStatsColumns[] = {PROCSQL_PROCSQL_STATS_COLUMNS(PROCSQL_COLUMN_DEF)};
#undef PROCSQL_COLUMN_DEF

static_assert(sizeof(kProcessEventsColumns) / sizeof(ColumnDef) == process_events_col::kCount, "");
static_assert(sizeof(kProcsqlStatsColumns) / sizeof(ColumnDef) == procsql_stats_col::kCount, "");

const TableDef kProcessEvents = {
    "process_events",
    "Every successful exec since the collector started, including processes that lived a microsecond. "
    "Oldest rows are overwritten when `PROCSQL_CAPACITY` rows (or `PROCSQL_ARENA_BYTES` of strings) are "
    "held; `procsql_stats` counts them.",
    kProcessEventsColumns, process_events_col::kCount};

const TableDef kProcsqlStats = {
    "procsql_stats",
    "The collector's state and counters, one row each: backend, instance, events received and lost, rows "
    "overwritten, sizes.",
    kProcsqlStatsColumns, procsql_stats_col::kCount};

const char* sql_type(ColumnType t) {
	switch (t) {
	case ColumnType::integer: return "INTEGER";
	case ColumnType::text: return "TEXT";
	case ColumnType::any: return "";
	}
	return "";
}

} // namespace

const TableDef& process_events_table() { return kProcessEvents; }
const TableDef& procsql_stats_table() { return kProcsqlStats; }

const std::vector<const TableDef*>& all_tables() {
	static const std::vector<const TableDef*> tables = {&kProcessEvents, &kProcsqlStats};
	return tables;
}

std::string declare_sql(const TableDef& table) {
	std::string sql = "CREATE TABLE ";
	sql += table.name;
	sql += "(";
	for (size_t i = 0; i < table.column_count; i++) {
		if (i) {
			sql += ", ";
		}
		sql += table.columns[i].name;
		if (table.columns[i].type != ColumnType::any) {
			sql += " ";
			sql += sql_type(table.columns[i].type);
		}
	}
	sql += ")";
	return sql;
}

std::string tables_markdown() {
	std::string md;
	for (const TableDef* t : all_tables()) {
		md += "### `";
		md += t->name;
		md += "`\n\n";
		md += t->summary;
		md += "\n\n| column | type | meaning |\n|---|---|---|\n";
		for (size_t i = 0; i < t->column_count; i++) {
			const ColumnDef& c = t->columns[i];
			md += "| `";
			md += c.name;
			md += "` | ";
			md += c.type == ColumnType::any ? "any" : sql_type(c.type);
			md += " | ";
			md += c.doc;
			md += " |\n";
		}
		md += "\n";
	}
	return md;
}

} // namespace procsql
