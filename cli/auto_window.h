// A job whose SQL names no procsql_window sees each event table through
// its window: for the run, TEMP views named process_events, clone_events,
// process_exits and exec_failures (the temp schema is searched first) show only the rows
// of the job's windows. So `procsql query --follow -e "SELECT ... FROM
// clone_events"` prints each new row once, like tail -f. A query that joins
// new rows with older ones (the query pack's) uses procsql_window itself.
#pragma once

#include <string>

#include "sqlite_api.h"

namespace procsql::cli {

// True when `sql` uses procsql_window itself (then nothing is shadowed).
bool uses_windows(const std::string& sql);

// Makes the views for `job`; false with a reason.
bool shadow_event_tables(sqlite3* db, const std::string& job, std::string* error);
// Drops them.
void unshadow_event_tables(sqlite3* db);

} // namespace procsql::cli
