// A fake procsqld for benchmarks, in the calling process, with synthetic
// rows instead of kernel events (no BPF, no root needed for the stores).
//
// The rows are sql_bench's (synthetic_rows.h).
//
// SyntheticDaemon plays procsqld's part in a state directory: it takes the
// directory's lock (StateDirLock), makes the store files
// (DaemonStores::open), appends the rows to process_events, marks the
// stores running under this process's pid and runs a Publisher over a
// collector with no source, so that attached readers' read-your-writes waits
// are answered (an empty drain, container_map and procsql_stats published,
// the watermark moved, as procsqld does with an empty BPF ring buffer; its
// processes pass fails at start with one "procsqld: cannot read the live
// processes" line: no query of a benchmark reads `processes`). Readers in
// this process or any other attach to it with PROCSQL_MODE=attach and
// PROCSQL_STATE_DIR=dir(), exactly as to procsqld.
//
// Used by attach_scan (in-process readers) and synthetic_procsqld (a
// stand-alone fake daemon for readers in other processes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "collector.h"
#include "config.h"
#include "exec_event.h"
#include "publisher.h"
#include "shared_stores.h"
#include "store/store_dir.h"
#include "synthetic_rows.h"

namespace procsql::bench {

// What the queries over rows 1..n must find.
struct Expected {
	uint64_t needle = 0, uid_sum = 0;
};

// Appends synthetic rows 1..n to `store` (row i gets eid i in a fresh
// store). False with a reason if the store refused a row or lost one
// (capacity or arena too small).
bool fill(ExecStore& store, uint64_t n, Expected* expected, std::string* error);

// The settings of a store that holds `rows` synthetic rows without
// overwriting or evicting any: capacity = rows, 512 bytes of arena a row.
Config synthetic_config(uint64_t rows, const std::string& state_dir);

class SyntheticDaemon {
public:
	// Makes the state directory `dir` (it must not exist, or be empty) and
	// starts the daemon in it with `rows` rows. Null with a one-line reason.
	static std::unique_ptr<SyntheticDaemon> start(const std::string& dir, uint64_t rows, std::string* error);
	// The same in a fresh directory PARENT/PREFIX.XXXXXX (mkdtemp).
	static std::unique_ptr<SyntheticDaemon> start_in(const std::string& parent, const std::string& prefix,
	                                                 uint64_t rows, std::string* error);

	// Stops the publisher, marks the stores stopped, releases the lock and
	// removes the state directory.
	~SyntheticDaemon();
	SyntheticDaemon(const SyntheticDaemon&) = delete;
	SyntheticDaemon& operator=(const SyntheticDaemon&) = delete;

	const std::string& dir() const { return dir_; }
	uint64_t rows() const { return rows_; }
	const Config& config() const { return config_; }
	const Expected& expected() const { return expected_; }
	const std::string& store_id() const { return stores_->store_id(); }
	DaemonStores& stores() { return *stores_; }
	Publisher& publisher() { return *publisher_; }
	// Seconds the fill of the store files took.
	double fill_seconds() const { return fill_seconds_; }

private:
	SyntheticDaemon() = default;
	bool set_up(uint64_t rows, std::string* error);

	std::string dir_;
	uint64_t rows_ = 0;
	Config config_;
	StateDirLock lock_;
	std::shared_ptr<DaemonStores> stores_;
	std::shared_ptr<Collector> publisher_source_; // the publisher's (empty) collector
	std::unique_ptr<Publisher> publisher_;
	Expected expected_;
	double fill_seconds_ = 0;
};

} // namespace procsql::bench
