// procsqld's watch on its record/ control directory (`procsql record`):
// inotify, so that an idle daemon does not wake to look at it. Where inotify
// cannot watch it (no instances or watches left), fd() is -1 and the daemon
// looks at the directory on a timer instead.
#pragma once

#include <string>

namespace procsql {

class RecordWatch {
public:
	explicit RecordWatch(std::string dir);
	~RecordWatch();
	RecordWatch(const RecordWatch&) = delete;
	RecordWatch& operator=(const RecordWatch&) = delete;

	// Readable when the directory changed; -1 when not watched.
	int fd() const { return watch_ < 0 ? -1 : fd_; }
	// Reads the pending notifications (the directory is then to be read
	// again). A directory removed or replaced is watched again if it exists.
	void consume();

private:
	void add_watch();

	std::string dir_;
	int fd_ = -1;
	int watch_ = -1;
};

} // namespace procsql
