// procsql::Attachment: this process reads a running procsqld's stores
// instead of collecting (PROCSQL_MODE=auto finds one, =attach requires one).
// Nothing here consumes kernel events or changes a store: the mappings are
// read-only. A query's read-your-writes is a wait on the daemon's watermark
// (store/control_block.h); a daemon that set its stores aside and made new
// ones is followed to them at the next query.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config.h"
#include "containers/container_map.h"
#include "process_snapshot.h"
#include "shared_stores.h"
#include "sources/source.h"

namespace procsql {

class Attachment {
public:
	// Attaches to the procsqld of config.state_dir. On failure nullptr, a
	// one-line reason, and *no_daemon set when simply none runs there (the
	// only case where PROCSQL_MODE=auto starts a collector of its own).
	static std::unique_ptr<Attachment> open(const Config& config, bool* no_daemon, std::string* error);

	// The stores of the current daemon. References stay valid for the life
	// of this object, even after the daemon moves to new stores.
	const AttachedStores& stores() const { return *current_.load(std::memory_order_acquire); }

	// Read-your-writes: waits, at most the daemon backend's bound, until the
	// daemon has drained every event that happened before this call.
	void wait_drained();
	bool processes(std::vector<LiveProcess>* out, std::vector<std::string>* containers, std::string* error);
	bool containers(std::vector<ContainerEntry>* out, std::string* error);
	bool syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error);
	// procsql_stats: this process's rows (mode, store, daemon), then the
	// daemon's own. `skipped` are this process's time-index skips per table.
	void stats(std::vector<StatRow>* rows, const uint64_t (&skipped)[4]);
	int drain_bound_ms() const;

private:
	explicit Attachment(const Config& config) : config_(config) {}
	// Waits for the watermark `which` to pass `since` (CLOCK_BOOTTIME).
	bool wait_for(const std::atomic<int64_t>& watermark, const std::atomic<uint32_t>& wake, int64_t since);
	void follow_new_stores();

	Config config_;
	std::atomic<const AttachedStores*> current_{nullptr};
	std::mutex mutex_; // follow_new_stores
	std::vector<std::unique_ptr<AttachedStores>> all_; // current and superseded: cursors may still read those
	std::atomic<uint64_t> waits_{0}, timeouts_{0}, absent_{0}, followed_{0};
};

} // namespace procsql
