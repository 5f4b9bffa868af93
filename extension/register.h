#pragma once

#include <memory>

#include "sqlite_api.h"

namespace procsql {

// Registers every procsql table on db; never throws. On failure *err (if not
// NULL) is a "procsql: ..." message from sqlite3_mprintf.
int register_all(sqlite3* db, char** err);

// register_all, its failure kept as this thread's procsql_errmsg() whether
// or not the caller asked for the message: what procsql_register does.
int register_reporting(sqlite3* db, char** err);

class Collector;
// The same on a given collector (e.g. Collector::without_source, for tests).
int register_all_with(sqlite3* db, const std::shared_ptr<Collector>& collector, char** err);

} // namespace procsql
