#include "synthetic_daemon.h"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "clock.h"

namespace procsql::bench {

bool fill(ExecStore& store, uint64_t n, Expected* expected, std::string* error) {
	Expected e;
	SyntheticRow row;
	for (uint64_t i = 1; i <= n; i++) {
		synthetic_row(i, &row);
		if (store.append(row.row, row.strings) != i) {
			*error = "append refused row " + std::to_string(i);
			return false;
		}
		e.needle += row_has_needle(i);
		e.uid_sum += row.row.uid;
	}
	const auto c = store.ring().counters();
	if (c.rows_overwritten || c.rows_evicted_by_arena || c.rows_rejected_too_large) {
		*error = "the fill lost rows: capacity or arena too small";
		return false;
	}
	*expected = e;
	return true;
}

Config synthetic_config(uint64_t rows, const std::string& state_dir) {
	Config config;
	config.capacity = rows;
	config.arena_bytes = std::max<uint64_t>(rows * 512, 1ull << 20); // ~190 bytes of strings a row
	config.state_dir = state_dir;
	return config;
}

std::unique_ptr<SyntheticDaemon> SyntheticDaemon::start(const std::string& dir, uint64_t rows,
                                                        std::string* error) {
	std::error_code ec;
	if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
		*error = dir + " exists and is not empty";
		return nullptr;
	}
	std::unique_ptr<SyntheticDaemon> d(new SyntheticDaemon());
	d->dir_ = dir;
	if (!d->set_up(rows, error)) {
		return nullptr; // the destructor removes what was made
	}
	return d;
}

std::unique_ptr<SyntheticDaemon> SyntheticDaemon::start_in(const std::string& parent, const std::string& prefix,
                                                           uint64_t rows, std::string* error) {
	std::vector<char> tmpl(parent.begin(), parent.end());
	const std::string tail = "/" + prefix + ".XXXXXX";
	tmpl.insert(tmpl.end(), tail.begin(), tail.end());
	tmpl.push_back('\0');
	if (!mkdtemp(tmpl.data())) {
		*error = "mkdtemp in " + parent + ": " + std::strerror(errno);
		return nullptr;
	}
	std::unique_ptr<SyntheticDaemon> d(new SyntheticDaemon());
	d->dir_ = tmpl.data();
	if (!d->set_up(rows, error)) {
		return nullptr;
	}
	return d;
}

bool SyntheticDaemon::set_up(uint64_t rows, std::string* error) {
	rows_ = rows;
	config_ = synthetic_config(rows, dir_);
	pid_t holder = 0;
	if (!StateDirLock::acquire(dir_, gid_t(-1), &lock_, &holder, error)) {
		*error = "lock: " + *error;
		return false;
	}
	std::vector<std::string> log;
	stores_ = std::shared_ptr<DaemonStores>(DaemonStores::open(dir_, gid_t(-1), config_, &log, error));
	if (!stores_) {
		*error = "DaemonStores::open: " + *error;
		return false;
	}
	const auto t0 = std::chrono::steady_clock::now();
	if (!fill(stores_->exec(), rows, &expected_, error)) {
		return false;
	}
	fill_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	stores_->mark_running(getpid(), BootClock::now_unix_ns(), "bpf", 100, collector_settings(config_));

	// The publisher answers attached queries' read-your-writes waits.
	Config small;
	small.capacity = 1024;
	small.arena_bytes = 1ull << 20;
	publisher_source_ = Collector::without_source(small, error);
	if (!publisher_source_) {
		*error = "without_source (publisher): " + *error;
		return false;
	}
	publisher_ = std::make_unique<Publisher>(*publisher_source_, *stores_);
	publisher_->start();
	return true;
}

SyntheticDaemon::~SyntheticDaemon() {
	if (publisher_) publisher_->stop();
	if (stores_) stores_->mark_stopped(BootClock::now_unix_ns());
	std::error_code ec;
	if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

} // namespace procsql::bench
