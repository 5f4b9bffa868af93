#include "job_sql.h"

#include <memory>
#include <new>
#include <string>

#include "job_windows.h"
#include "schema.h"
#include "sql_result.h"
#include "vtab_base.h"

namespace procsql::jobs {

namespace {

using JobsRef = std::shared_ptr<JobWindows>;

struct WindowVtab {
	sqlite3_vtab base;
	JobsRef jobs;
};

struct WindowCursor {
	sqlite3_vtab_cursor base;
	Window window;
	std::string start;
	bool eof = true;
};

// idxNum bits: which arguments xFilter gets, in this order.
enum : int { kHasJob = 1, kHasTable = 2, kHasStart = 4 };

std::string value_text(sqlite3_value* v) {
	const unsigned char* p = sqlite3_value_text(v);
	return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_value_bytes(v))) : std::string();
}

int x_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
	try {
		const TableDef& t = procsql_window_table();
		int rc = sqlite3_declare_vtab(db, declare_sql(t).c_str());
		if (rc != SQLITE_OK) {
			*err = sqlite3_mprintf("procsql: cannot declare %s: %s", t.name, sqlite3_errmsg(db));
			return rc;
		}
		// It writes the jobs' positions: no view or trigger planted in a
		// database file may call it (vtab_base.h says why for the tables).
		if (sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY) != SQLITE_OK) {
			*err = sqlite3_mprintf("procsql: cannot mark %s SQLITE_VTAB_DIRECTONLY", t.name);
			return SQLITE_ERROR;
		}
		auto* v = new WindowVtab();
		v->jobs = *static_cast<JobsRef*>(aux);
		*out = &v->base;
		return SQLITE_OK;
	} catch (...) {
		return SQLITE_NOMEM;
	}
}

int x_disconnect(sqlite3_vtab* vtab) {
	delete reinterpret_cast<WindowVtab*>(vtab);
	return SQLITE_OK;
}

int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
	int which[3] = {-1, -1, -1}; // job, table_name, start
	bool table_unusable = false;
	for (int i = 0; i < info->nConstraint; i++) {
		const auto& c = info->aConstraint[i];
		const int arg = c.iColumn - procsql_window_col::job;
		if (arg < 0 || arg > 2 || c.op != SQLITE_INDEX_CONSTRAINT_EQ) {
			continue;
		}
		if (!c.usable) {
			table_unusable = table_unusable || arg == 1;
			continue;
		}
		which[arg] = i;
	}
	if (which[1] < 0) {
		// Without its table the function cannot run: another plan must give
		// it (SQLITE_CONSTRAINT), or the query is wrong.
		if (table_unusable) {
			return SQLITE_CONSTRAINT;
		}
		set_vtab_error(vtab, "procsql_window: the table is missing: procsql_window('job', 'process_events')");
		return SQLITE_ERROR;
	}
	int argv_index = 1;
	info->idxNum = 0;
	for (int arg = 0; arg < 3; arg++) {
		if (which[arg] >= 0) {
			info->aConstraintUsage[which[arg]].argvIndex = argv_index++;
			info->aConstraintUsage[which[arg]].omit = 1;
			info->idxNum |= 1 << arg;
		}
	}
	info->estimatedCost = 1;
	info->estimatedRows = 1;
	info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
	return SQLITE_OK;
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
	auto* c = new (std::nothrow) WindowCursor();
	if (!c) {
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* cur) {
	delete reinterpret_cast<WindowCursor*>(cur);
	return SQLITE_OK;
}

int x_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc, sqlite3_value** argv) {
	auto* c = reinterpret_cast<WindowCursor*>(cur);
	auto* v = reinterpret_cast<WindowVtab*>(cur->pVtab);
	c->eof = true;
	sqlite3_value* args[3] = {nullptr, nullptr, nullptr};
	for (int arg = 0, i = 0; arg < 3; arg++) {
		if ((idx_num & (1 << arg)) && i < argc) {
			args[arg] = argv[i++];
		}
	}
	std::string job;
	if (args[0] && sqlite3_value_type(args[0]) != SQLITE_NULL) {
		job = value_text(args[0]);
		if (job.empty()) {
			set_vtab_error(cur->pVtab, "procsql_window: a job's name may not be empty (NULL: no job)");
			return SQLITE_ERROR;
		}
	}
	if (!args[1] || sqlite3_value_type(args[1]) == SQLITE_NULL) {
		set_vtab_error(cur->pVtab, "procsql_window: the table is missing: procsql_window('job', 'process_events')");
		return SQLITE_ERROR;
	}
	const std::string table = value_text(args[1]);
	Start start = v->jobs->default_start();
	c->start = start == Start::newest ? "newest" : "oldest";
	if (args[2] && sqlite3_value_type(args[2]) != SQLITE_NULL) {
		c->start = value_text(args[2]);
		if (c->start == "newest") {
			start = Start::newest;
		} else if (c->start != "oldest") {
			set_vtab_error(cur->pVtab, ("procsql_window: start '" + c->start + "' is neither 'oldest' nor 'newest'").c_str());
			return SQLITE_ERROR;
		}
	}
	std::string error;
	if (!v->jobs->window(job, table, start, &c->window, &error)) {
		set_vtab_error(cur->pVtab, error.c_str());
		return SQLITE_ERROR;
	}
	c->eof = false;
	return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* cur) {
	reinterpret_cast<WindowCursor*>(cur)->eof = true;
	return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* cur) { return reinterpret_cast<WindowCursor*>(cur)->eof; }

void column(const WindowCursor& c, sqlite3_context* ctx, int col) {
	const Window& w = c.window;
	switch (col) {
	case procsql_window_col::lo: sqlite3_result_int64(ctx, sqlite3_int64(w.lo)); break;
	case procsql_window_col::hi: sqlite3_result_int64(ctx, sqlite3_int64(w.hi)); break;
	case procsql_window_col::store_id: result_text(ctx, w.store_id); break;
	case procsql_window_col::rows: sqlite3_result_int64(ctx, sqlite3_int64(w.rows())); break;
	case procsql_window_col::missed: sqlite3_result_int64(ctx, sqlite3_int64(w.missed)); break;
	case procsql_window_col::store_changed: sqlite3_result_int(ctx, w.store_changed); break;
	case procsql_window_col::first_run: sqlite3_result_int(ctx, w.first_run); break;
	case procsql_window_col::job: result_nonempty(ctx, w.job); break;
	case procsql_window_col::table_name: result_utf8(ctx, w.table); break;
	case procsql_window_col::start: result_text(ctx, c.start); break;
	}
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
	return guarded_column(ctx, [&] { column(*reinterpret_cast<WindowCursor*>(cur), ctx, col); });
}

int x_rowid(sqlite3_vtab_cursor*, sqlite3_int64* rowid) {
	*rowid = 1;
	return SQLITE_OK;
}

const sqlite3_module& window_module() {
	static const sqlite3_module m = [] {
		sqlite3_module m{};
		m.xConnect = x_connect;
		m.xDisconnect = x_disconnect;
		m.xDestroy = x_disconnect;
		m.xBestIndex = [](sqlite3_vtab* v, sqlite3_index_info* info) {
			return guarded(v, [&] { return x_best_index(v, info); });
		};
		m.xOpen = x_open;
		m.xClose = x_close;
		m.xFilter = [](sqlite3_vtab_cursor* cur, int num, const char* str, int argc, sqlite3_value** argv) {
			return guarded(cur->pVtab, [&] { return x_filter(cur, num, str, argc, argv); });
		};
		m.xNext = x_next;
		m.xEof = x_eof;
		m.xColumn = x_column;
		m.xRowid = x_rowid;
		return m;
	}();
	return m;
}

JobWindows& jobs_of(sqlite3_context* ctx) { return **static_cast<JobsRef*>(sqlite3_user_data(ctx)); }

void fail(sqlite3_context* ctx, const std::string& what) {
	const std::string msg = "procsql: " + what;
	sqlite3_result_error(ctx, msg.c_str(), int(msg.size()));
}

void procsql_commit(sqlite3_context* ctx, int, sqlite3_value** argv) {
	try {
		if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
			sqlite3_result_int(ctx, 0); // no job: nothing is kept, nothing to commit
			return;
		}
		uint64_t rows = 0;
		std::string error;
		if (!jobs_of(ctx).commit(value_text(argv[0]), &rows, &error)) {
			fail(ctx, error);
			return;
		}
		sqlite3_result_int64(ctx, sqlite3_int64(rows));
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (const std::exception& e) {
		fail(ctx, e.what());
	}
}

void procsql_reset(sqlite3_context* ctx, int, sqlite3_value** argv) {
	try {
		if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
			jobs_of(ctx).reset(value_text(argv[0]));
		}
		sqlite3_result_null(ctx);
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (const std::exception& e) {
		fail(ctx, e.what());
	}
}

void procsql_default_start(sqlite3_context* ctx, int, sqlite3_value** argv) {
	try {
		const std::string start = value_text(argv[0]);
		if (start != "oldest" && start != "newest") {
			fail(ctx, "procsql_default_start: '" + start + "' is neither 'oldest' nor 'newest'");
			return;
		}
		jobs_of(ctx).set_default_start(start == "newest" ? Start::newest : Start::oldest);
		sqlite3_result_null(ctx);
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (const std::exception& e) {
		fail(ctx, e.what());
	}
}

void release_jobs(void* ref) { delete static_cast<JobsRef*>(ref); }

} // namespace

int register_job_sql(sqlite3* db, const CollectorRef& collector, char** err) {
	auto jobs = std::make_shared<JobWindows>(db, collector);
	int rc = sqlite3_create_module_v2(db, "procsql_window", &window_module(), new JobsRef(jobs), release_jobs);
	const struct {
		const char* name;
		void (*fn)(sqlite3_context*, int, sqlite3_value**);
	} functions[] = {{"procsql_commit", procsql_commit},
	                 {"procsql_reset", procsql_reset},
	                 {"procsql_default_start", procsql_default_start}};
	for (const auto& f : functions) {
		if (rc != SQLITE_OK) {
			break;
		}
		// SQLITE_DIRECTONLY: a position moves only by the caller's own SQL.
		rc = sqlite3_create_function_v2(db, f.name, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, new JobsRef(jobs), f.fn,
		                                nullptr, nullptr, release_jobs);
	}
	if (rc != SQLITE_OK && err) {
		*err = sqlite3_mprintf("procsql: cannot register the job functions: %s", sqlite3_errmsg(db));
	}
	return rc;
}

} // namespace procsql::jobs
