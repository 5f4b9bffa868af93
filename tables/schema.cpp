#include "schema.h"

namespace procsql {

namespace {

#define PROCSQL_COLUMN_DEF(name, type, doc) {#name, ColumnType::type, doc},
const ColumnDef kProcessEventsColumns[] = {PROCSQL_PROCESS_EVENTS_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kCloneEventsColumns[] = {PROCSQL_CLONE_EVENTS_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcessExitsColumns[] = {PROCSQL_PROCESS_EXITS_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kExecFailuresColumns[] = {PROCSQL_EXEC_FAILURES_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcessesColumns[] = {PROCSQL_PROCESSES_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kContainerMapColumns[] = {PROCSQL_CONTAINER_MAP_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcsqlStatsColumns[] = {PROCSQL_PROCSQL_STATS_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kSyscallUsageColumns[] = {PROCSQL_SYSCALL_USAGE_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcsqlWindowColumns[] = {PROCSQL_PROCSQL_WINDOW_COLUMNS(PROCSQL_COLUMN_DEF)};
const ColumnDef kProcsqlJobsColumns[] = {PROCSQL_PROCSQL_JOBS_COLUMNS(PROCSQL_COLUMN_DEF)};
#undef PROCSQL_COLUMN_DEF

static_assert(sizeof(kProcessEventsColumns) / sizeof(ColumnDef) == process_events_col::kCount, "");
static_assert(sizeof(kCloneEventsColumns) / sizeof(ColumnDef) == clone_events_col::kCount, "");
static_assert(sizeof(kProcessExitsColumns) / sizeof(ColumnDef) == process_exits_col::kCount, "");
static_assert(sizeof(kExecFailuresColumns) / sizeof(ColumnDef) == exec_failures_col::kCount, "");
static_assert(sizeof(kProcessesColumns) / sizeof(ColumnDef) == processes_col::kCount, "");
static_assert(sizeof(kContainerMapColumns) / sizeof(ColumnDef) == container_map_col::kCount, "");
static_assert(sizeof(kProcsqlStatsColumns) / sizeof(ColumnDef) == procsql_stats_col::kCount, "");
static_assert(sizeof(kSyscallUsageColumns) / sizeof(ColumnDef) == syscall_usage_col::kCount, "");
static_assert(sizeof(kProcsqlWindowColumns) / sizeof(ColumnDef) == procsql_window_col::kCount, "");
static_assert(sizeof(kProcsqlJobsColumns) / sizeof(ColumnDef) == procsql_jobs_col::kCount, "");

const TableDef kProcessEvents = {
    "process_events",
    "Every successful exec since the collector started, including processes that lived a microsecond. "
    "Oldest rows are overwritten when `PROCSQL_CAPACITY` rows (or `PROCSQL_ARENA_BYTES` of strings) are "
    "held; `procsql_stats` counts them.",
    kProcessEventsColumns, process_events_col::kCount};

const TableDef kCloneEvents = {
    "clone_events",
    "Every new process (fork, vfork, clone, clone3), every unshare and every setns, with namespace flags; "
    "failed calls too. Thread creation only with `PROCSQL_THREADS=1`.",
    kCloneEventsColumns, clone_events_col::kCount};

const TableDef kProcessExits = {
    "process_exits",
    "One row per process (thread group), exactly once, when its last thread has exited.",
    kProcessExitsColumns, process_exits_col::kCount};

const TableDef kExecFailures = {
    "exec_failures",
    "Every execve and execveat that returned an error (`ENOENT`, `EACCES`, `ENOEXEC`, `ETXTBSY`, `E2BIG`...), "
    "with the caller and what it tried to run. On eBPF it needs the syscall tracepoints (`bpf.exec_failures` in "
    "`procsql_stats` says whether they are attached).",
    kExecFailuresColumns, exec_failures_col::kCount};

const TableDef kProcesses = {
    "processes",
    "The processes alive when the query runs (the kernel's task list, as `/proc` shows it), with the "
    "same meaning as `process_events`, so processes that started before procsql loaded join the event "
    "tables too.",
    kProcessesColumns, processes_col::kCount};

const TableDef kContainerMap = {
    "container_map",
    "cgroups that belong to a container or a Kubernetes pod, with runtime, names, image and pod; kept "
    "current from the kernel's cgroup events, removed ones kept for a grace period.",
    kContainerMapColumns, container_map_col::kCount};

const TableDef kProcsqlStats = {
    "procsql_stats",
    "The collector's state and counters, one row each: backend, instance, events received and lost, rows "
    "overwritten, sizes.",
    kProcsqlStatsColumns, procsql_stats_col::kCount};

const TableDef kSyscallUsage = {
    "syscall_usage",
    "Which syscalls each recorded container made, and how often: one row per cgroup, ABI and call, counted "
    "in the kernel from the container's first exec on. Nothing is recorded unless asked for "
    "(`PROCSQL_SYSCALLS`, `procsql record`); rows stay `PROCSQL_CONTAINER_GRACE` after the container is gone. "
    "`procsql_seccomp_profile(syscall, arch)` turns them into a seccomp profile. eBPF backend only.",
    kSyscallUsageColumns, syscall_usage_col::kCount};

const TableDef kProcsqlWindow = {
    "procsql_window",
    "A table-valued function: `procsql_window('job', 'process_events')` is one row, the job's window on "
    "that table for this run: the rows after its last commit up to the newest row when the run began. "
    "The window stays the same in this connection until `procsql_commit('job')` (or `procsql_reset('job')`). "
    "Jobs keep their positions in `procsql_jobs` and need procsqld (README, \"Scheduled queries\").",
    kProcsqlWindowColumns, procsql_window_col::kCount};

const TableDef kProcsqlJobs = {
    "procsql_jobs",
    "Not a virtual table: an ordinary table that the first commit of a job makes in the connection's main "
    "database (the jobs database), one row per job and table, so the positions live with the results a "
    "job writes there.",
    kProcsqlJobsColumns, procsql_jobs_col::kCount};

const char* sql_type(ColumnType t) {
	switch (t) {
	case ColumnType::integer: return "INTEGER";
	case ColumnType::text: return "TEXT";
	case ColumnType::any: return "";
	case ColumnType::argument: return "TEXT HIDDEN";
	}
	return "";
}

} // namespace

const TableDef& process_events_table() { return kProcessEvents; }
const TableDef& clone_events_table() { return kCloneEvents; }
const TableDef& process_exits_table() { return kProcessExits; }
const TableDef& exec_failures_table() { return kExecFailures; }
const TableDef& processes_table() { return kProcesses; }
const TableDef& container_map_table() { return kContainerMap; }
const TableDef& procsql_stats_table() { return kProcsqlStats; }
const TableDef& syscall_usage_table() { return kSyscallUsage; }
const TableDef& procsql_window_table() { return kProcsqlWindow; }
const TableDef& procsql_jobs_table() { return kProcsqlJobs; }

const std::vector<const TableDef*>& all_tables() {
	static const std::vector<const TableDef*> tables = {&kProcessEvents, &kCloneEvents, &kProcessExits,
	                                                    &kExecFailures, &kProcesses, &kContainerMap,
	                                                    &kSyscallUsage, &kProcsqlStats, &kProcsqlWindow,
	                                                    &kProcsqlJobs};
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
			md += c.type == ColumnType::any ? "any" : c.type == ColumnType::argument ? "argument" : sql_type(c.type);
			md += " | ";
			md += c.doc;
			md += " |\n";
		}
		md += "\n";
	}
	return md;
}

} // namespace procsql

namespace procsql {

uint64_t columns_hash(const TableDef& table) {
	// FNV-1a over "name:type;" for each column: a store made for other
	// columns (an upgrade added, removed or retyped one) hashes differently.
	uint64_t h = 0xcbf29ce484222325ULL;
	auto mix = [&h](const std::string& s) {
		for (unsigned char c : s) {
			h ^= c;
			h *= 0x100000001b3ULL;
		}
	};
	mix(table.name);
	for (size_t i = 0; i < table.column_count; i++) {
		mix(std::string(";") + table.columns[i].name + ":" + std::to_string(int(table.columns[i].type)));
	}
	return h;
}

} // namespace procsql
