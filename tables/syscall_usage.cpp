// syscall_usage: the recorded containers' syscalls and counts, as the kernel
// holds them when the query runs (see snapshot_table.h and
// extension/sources/bpf/syscall_recorder.h).
#include "snapshot_table.h"

namespace procsql {

namespace {

namespace col = syscall_usage_col;

struct SyscallUsageTable {
	using Row = SyscallUsageRow;
	static const TableDef& table() { return syscall_usage_table(); }

	static bool fill(Collector& c, std::vector<Row>* rows, std::string* error) { return c.syscall_usage(rows, error); }

	static void column(const Row& r, sqlite3_context* ctx, int column) {
		switch (column) {
		case col::cgroup_id: sqlite3_result_int64(ctx, sqlite3_int64(r.cgroup_id)); break;
		case col::container_id: result_nonempty(ctx, r.container_id); break;
		case col::syscall: result_nonempty(ctx, r.syscall); break;
		case col::arch: result_nonempty(ctx, r.arch); break;
		case col::nr: sqlite3_result_int64(ctx, r.nr); break;
		case col::count: sqlite3_result_int64(ctx, sqlite3_int64(r.count)); break;
		case col::first_time: sqlite3_result_int64(ctx, r.first_time); break;
		case col::last_time: sqlite3_result_int64(ctx, r.last_time); break;
		default: break;
		}
	}
};

} // namespace

const sqlite3_module& syscall_usage_module() { return SnapshotTable<SyscallUsageTable>::module(); }

} // namespace procsql
