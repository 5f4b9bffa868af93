// The API table of the SQLite this library is bound to (sqlite_bootstrap.cpp
// says how and why); null if it cannot be had.
#pragma once

struct sqlite3_api_routines;

namespace procsql {

const sqlite3_api_routines* linked_sqlite_api();

} // namespace procsql
