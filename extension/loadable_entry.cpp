// Entry point of build/procsql.so for `.load build/procsql` (the sqlite3 shell
// derives sqlite3_procsql_init from the file name) and load_extension().
#include "register.h"

SQLITE_EXTENSION_INIT1

extern "C" __attribute__((visibility("default"))) int sqlite3_procsql_init(sqlite3* db, char** err,
                                                                          const sqlite3_api_routines* api) {
	SQLITE_EXTENSION_INIT2(api);
	return procsql::register_all(db, err);
}
