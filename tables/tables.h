// The virtual tables. Each module's client data (pAux) is a CollectorRef that
// register.cpp gives it: a share of the collector that the connection holds
// until SQLite drops the module when the connection closes.
#pragma once

#include <memory>

#include "sqlite_api.h"

namespace procsql {

class Collector;
using CollectorRef = std::shared_ptr<Collector>;

const sqlite3_module& process_events_module();
const sqlite3_module& clone_events_module();
const sqlite3_module& process_exits_module();
const sqlite3_module& exec_failures_module();
const sqlite3_module& processes_module();
const sqlite3_module& container_map_module();
const sqlite3_module& syscall_usage_module();
const sqlite3_module& procsql_stats_module();

// procsql_caps_text(): see tables/scalar_functions.cpp. An SQLite result code.
int register_scalar_functions(sqlite3* db);
// procsql_seccomp_profile(): see tables/seccomp_profile.cpp. An SQLite result code.
int register_seccomp_profile(sqlite3* db);

} // namespace procsql
