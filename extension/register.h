#pragma once

#include <memory>

#include "sqlite_api.h"

namespace procsql {

// Registers every procsql table on db; never throws. On failure *err (if not
// NULL) is a "procsql: ..." message from sqlite3_mprintf.
int register_all(sqlite3* db, char** err);

class Collector;
// The same on a given collector (e.g. Collector::without_source, for tests).
int register_all_with(sqlite3* db, const std::shared_ptr<Collector>& collector, char** err);

} // namespace procsql
