// The SQL side of jobs, registered on every connection with the tables:
//   procsql_window(job, table_name [, start])  table-valued: the job's window
//   procsql_commit(job)                        moves the job's positions to the
//                                              ends of its windows; rows covered
//   procsql_reset(job)                         forgets the job's open windows
//   procsql_default_start('oldest'|'newest')   where this connection's new
//                                              jobs start (no third argument)
// README, "Scheduled queries", shows them in use.
#pragma once

#include "tables.h"

namespace procsql::jobs {

int register_job_sql(sqlite3* db, const CollectorRef& collector, char** err);

} // namespace procsql::jobs
