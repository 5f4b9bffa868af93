#pragma once

#include "sqlite_api.h"

namespace procsql {

// Registers every procsql table on db; never throws. On failure *err (if not
// NULL) is a "procsql: ..." message from sqlite3_mprintf.
int register_all(sqlite3* db, char** err);

} // namespace procsql
