// synthetic_procsqld: a stand-alone fake procsqld with N synthetic exec rows
// in process_events (bench/synthetic_daemon.h: the lock, the store files, the
// rows, the stores marked running, a Publisher answering readers'
// read-your-writes waits), for benchmarks whose readers are other processes
// (`procsql query`, `sqlite3` with `.load`). No kernel events, no BPF.
//
//   synthetic_procsqld --dir=DIR --rows=N
//
// DIR must not exist or be empty; it is made, and removed at the end with
// everything in it. When the rows are in, one line on stdout (flushed):
//
//   ready store_id=<id> rows=<N>
//
// Readers attach with PROCSQL_MODE=attach PROCSQL_STATE_DIR=DIR and no other
// PROCSQL_* variable; row i has eid i. It then runs until SIGTERM or SIGINT
// (writing the heartbeat every 5 s, as procsqld does), stops the publisher,
// marks the stores stopped and removes DIR. Exit status 0, or 1 with a
// one-line message on stderr.

#include <signal.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "clock.h"
#include "synthetic_daemon.h"

namespace {

int usage_error(const std::string& why) {
	std::fprintf(stderr, "synthetic_procsqld: %s\nusage: synthetic_procsqld --dir=DIR --rows=N\n", why.c_str());
	return 2;
}

} // namespace

int main(int argc, char** argv) {
	std::string dir;
	uint64_t rows = 0;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (a.rfind("--dir=", 0) == 0) {
			dir = a.substr(6);
		} else if (a.rfind("--rows=", 0) == 0) {
			char* end = nullptr;
			rows = std::strtoull(a.c_str() + 7, &end, 10);
			if (*end != '\0') return usage_error("--rows takes a number");
		} else {
			return usage_error("unknown argument '" + a + "'");
		}
	}
	if (dir.empty()) return usage_error("--dir is required");
	if (rows == 0) return usage_error("--rows must be at least 1");

	// Blocked before any thread starts (the publisher's), so that only the
	// sigtimedwait below receives them, as in procsqld.
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

	std::string error;
	auto daemon = procsql::bench::SyntheticDaemon::start(dir, rows, &error);
	if (!daemon) {
		std::fprintf(stderr, "synthetic_procsqld: %s\n", error.c_str());
		return 1;
	}
	std::fprintf(stderr, "synthetic_procsqld: %" PRIu64 " rows in %s (fill %.2f s), pid %d\n", rows,
	             daemon->dir().c_str(), daemon->fill_seconds(), int(getpid()));
	std::printf("ready store_id=%s rows=%" PRIu64 "\n", daemon->store_id().c_str(), rows);
	std::fflush(stdout);

	int sig = 0;
	for (;;) {
		const timespec beat{5, 0};
		sig = sigtimedwait(&stop_signals, nullptr, &beat);
		if (sig > 0) break;
		daemon->stores().heartbeat(procsql::BootClock::now_unix_ns());
	}
	daemon.reset(); // publisher stopped, stores marked stopped, DIR removed
	std::fprintf(stderr, "synthetic_procsqld: stopped on %s\n", strsignal(sig));
	return 0;
}
