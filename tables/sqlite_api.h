// Every SQL-facing file includes SQLite through here. Built into the loadable
// module, calls go through the sqlite3_api pointer the host hands to
// sqlite3_procsql_init (so a host with SQLite linked statically works too);
// built with SQLITE_CORE for embedding, they are direct calls.
#pragma once

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
