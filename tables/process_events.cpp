// process_events: one row per exec, read from the exec store.
//
// Eponymous-only (no CREATE VIRTUAL TABLE needed or allowed) and
// SQLITE_VTAB_DIRECTONLY: it exposes every command line on the host, so it may
// not be reached from a view or trigger that a less trusted schema could plant
// (the reasoning of SQLite's csv.c).
#include <algorithm>
#include <cstring>
#include <new>

#include "collector.h"
#include "schema.h"
#include "tables.h"
#include "text.h"
#include "event_scan.h"

namespace procsql {

namespace {

namespace col = process_events_col;

// The store strings each column reads; the scan copies only those the query
// uses (from colUsed), listed after " read=" in idxStr.
struct StringUse {
	ExecString string;
	const char* name;
	int columns[2];
};
const StringUse kStringUses[] = {
    {kExecPath, "path", {col::path, -1}},
    {kExecFilename, "filename", {col::filename, -1}},
    {kExecCwd, "cwd", {col::cwd, -1}},
    {kExecParentPath, "parent_path", {col::parent_path, -1}},
    {kExecTty, "tty", {col::tty, -1}},
    {kExecArgv, "argv", {col::argv, col::cmdline}},
};

struct Vtab {
	sqlite3_vtab base;
	std::shared_ptr<Collector> collector;
};

const EventColumns kPushable = {col::eid, col::time, col::time_ns, col::pid};

struct Cursor {
	sqlite3_vtab_cursor base;
	const ExecStore* store = nullptr;
	EventScan<ExecRow, kExecStringCount> scan;
	std::array<std::string, kExecStringCount> strings;
	std::string scratch; // cmdline, rebuilt per row in the same buffer
};

int x_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
	const int rc = sqlite3_declare_vtab(db, declare_sql(process_events_table()).c_str());
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("procsql: cannot declare process_events: %s", sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	auto* v = new (std::nothrow) Vtab();
	if (!v) {
		return SQLITE_NOMEM;
	}
	v->collector = *static_cast<CollectorRef*>(aux);
	*out = &v->base;
	return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* vtab) {
	delete reinterpret_cast<Vtab*>(vtab);
	return SQLITE_OK;
}

int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
	const auto& ring = reinterpret_cast<Vtab*>(vtab)->collector->exec_store().ring();
	std::string read;
	for (const StringUse& use : kStringUses) {
		bool used = false;
		for (int c : use.columns) {
			used = used || (c >= 0 && (info->colUsed & (sqlite3_uint64(1) << c)));
		}
		if (used) {
			read += read.empty() ? " read=" : ",";
			read += use.name;
		}
	}
	return plan_event_scan(info, kPushable, ring.next_eid() - ring.first_eid(), read);
}

int x_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
	auto* c = new (std::nothrow) Cursor();
	if (!c) {
		return SQLITE_NOMEM;
	}
	c->store = &reinterpret_cast<Vtab*>(vtab)->collector->exec_store();
	*out = &c->base;
	return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* cur) {
	delete reinterpret_cast<Cursor*>(cur);
	return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* cur) {
	reinterpret_cast<Cursor*>(cur)->scan.next();
	return SQLITE_OK;
}

int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
	auto* c = reinterpret_cast<Cursor*>(cur);
	auto* vtab = reinterpret_cast<Vtab*>(cur->pVtab);
	// Read-your-writes: what the kernel has delivered is in the store first.
	vtab->collector->drain();

	// The strings x_best_index listed after " read=", matched as whole names
	// ("path" is part of "parent_path").
	const char* read = idx_str ? std::strstr(idx_str, " read=") : nullptr;
	const std::string list = read ? std::string(",") + (read + 6) + "," : std::string();
	EventScan<ExecRow, kExecStringCount>::Wanted wanted{};
	for (const StringUse& use : kStringUses) {
		const bool want = list.find(std::string(",") + use.name + ",") != std::string::npos;
		wanted[use.string] = want ? &c->strings[use.string] : nullptr;
	}
	ScanFilter filter;
	const int rc = scan_filter_from_args(idx_str, argc, argv, &filter);
	if (rc != SQLITE_OK) {
		return rc;
	}
	c->scan.begin(*c->store, filter, wanted);
	return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* cur) { return reinterpret_cast<Cursor*>(cur)->scan.eof(); }

void result_text(sqlite3_context* ctx, std::string_view s) {
	sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// Text columns are valid UTF-8: bytes that are not read as U+FFFD.
void result_utf8(sqlite3_context* ctx, std::string_view s) {
	if (text::is_valid_utf8(s)) {
		result_text(ctx, s);
	} else {
		result_text(ctx, text::valid_utf8(s));
	}
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
	auto* c = reinterpret_cast<Cursor*>(cur);
	const ExecRow& r = c->scan.row();
	const auto& s = c->strings;
	switch (column) {
	case col::eid: sqlite3_result_int64(ctx, sqlite3_int64(c->scan.eid())); break;
	case col::time: sqlite3_result_int64(ctx, r.time_ns / 1000000000); break;
	case col::time_ns: sqlite3_result_int64(ctx, r.time_ns); break;
	case col::pid: sqlite3_result_int64(ctx, r.pid); break;
	case col::tid: sqlite3_result_int64(ctx, r.tid); break;
	case col::parent: sqlite3_result_int64(ctx, r.parent); break;
	case col::start_time: sqlite3_result_int64(ctx, r.start_time); break;
	case col::parent_path:
		if (r.flags & kExecHasParentPath) result_utf8(ctx, s[kExecParentPath]);
		break;
	case col::comm: result_utf8(ctx, text::cstr_field(r.comm, sizeof(r.comm))); break;
	case col::path: result_utf8(ctx, s[kExecPath]); break;
	case col::filename: result_utf8(ctx, s[kExecFilename]); break;
	case col::cmdline:
		text::cmdline_into(s[kExecArgv], &c->scratch);
		result_text(ctx, c->scratch);
		break;
	case col::argv: result_text(ctx, text::argv_json(s[kExecArgv])); break;
	case col::argc: sqlite3_result_int64(ctx, r.argc); break;
	case col::cmdline_truncated: sqlite3_result_int(ctx, (r.flags & kExecCmdlineTruncated) ? 1 : 0); break;
	case col::path_truncated: sqlite3_result_int(ctx, (r.flags & kExecPathTruncated) ? 1 : 0); break;
	case col::cwd:
		if (r.flags & kExecHasCwd) result_utf8(ctx, s[kExecCwd]);
		break;
	case col::mode: sqlite3_result_int64(ctx, r.mode); break;
	case col::owner_uid: sqlite3_result_int64(ctx, r.owner_uid); break;
	case col::owner_gid: sqlite3_result_int64(ctx, r.owner_gid); break;
	case col::inode: sqlite3_result_int64(ctx, sqlite3_int64(r.inode)); break;
	case col::uid: sqlite3_result_int64(ctx, r.uid); break;
	case col::euid: sqlite3_result_int64(ctx, r.euid); break;
	case col::gid: sqlite3_result_int64(ctx, r.gid); break;
	case col::egid: sqlite3_result_int64(ctx, r.egid); break;
	case col::auid:
		if (r.flags & kExecHasAuid) sqlite3_result_int64(ctx, r.auid);
		break;
	case col::session:
		if (r.flags & kExecHasSession) sqlite3_result_int64(ctx, r.session);
		break;
	case col::tty:
		if (r.flags & kExecHasTty) result_text(ctx, text::tty_name(text::valid_utf8(s[kExecTty])));
		break;
	case col::cgroup_id: sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id)); break;
	case col::mnt_ns: sqlite3_result_int64(ctx, r.mnt_ns); break;
	case col::pid_ns: sqlite3_result_int64(ctx, r.pid_ns); break;
	case col::ns_pid: sqlite3_result_int64(ctx, r.ns_pid); break;
	case col::syscall:
		if (const char* name = exec_syscall_name(ExecSyscall(r.syscall))) {
			sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
		}
		break;
	default: break; // NULL
	}
	return SQLITE_OK;
}

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
	*rowid = sqlite3_int64(reinterpret_cast<Cursor*>(cur)->scan.eid());
	return SQLITE_OK;
}

sqlite3_module make_module() {
	sqlite3_module m{};
	m.iVersion = 0;
	m.xCreate = nullptr; // eponymous-only
	m.xConnect = x_connect;
	m.xBestIndex = x_best_index;
	m.xDisconnect = x_disconnect;
	m.xDestroy = x_disconnect;
	m.xOpen = x_open;
	m.xClose = x_close;
	m.xFilter = x_filter;
	m.xNext = x_next;
	m.xEof = x_eof;
	m.xColumn = x_column;
	m.xRowid = x_rowid;
	return m;
}

} // namespace

const sqlite3_module& process_events_module() {
	static const sqlite3_module module = make_module();
	return module;
}

} // namespace procsql
