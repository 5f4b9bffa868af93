#include "record_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

namespace procsql {

namespace {
// What `procsql record start|stop` does to the directory (a file made or
// removed), and the directory itself going away.
constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
} // namespace

RecordWatch::RecordWatch(std::string dir) : dir_(std::move(dir)) {
	fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	add_watch();
}

RecordWatch::~RecordWatch() {
	if (fd_ >= 0) {
		close(fd_);
	}
}

void RecordWatch::add_watch() {
	watch_ = fd_ < 0 ? -1 : inotify_add_watch(fd_, dir_.c_str(), kEvents);
}

void RecordWatch::consume() {
	if (fd_ < 0) {
		return;
	}
	alignas(inotify_event) char buf[4096];
	bool lost_watch = false;
	for (;;) {
		const ssize_t n = read(fd_, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break; // EAGAIN: all read
		}
		for (ssize_t at = 0; at < n;) {
			const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
			lost_watch = lost_watch || (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF));
			at += ssize_t(sizeof(inotify_event) + e->len);
		}
	}
	if (lost_watch) {
		if (watch_ >= 0) {
			inotify_rm_watch(fd_, watch_); // a moved directory's watch would stay
		}
		add_watch();
	}
}

} // namespace procsql
