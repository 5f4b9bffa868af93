// Reads a descriptor to its end (an iterator, a /proc file), retrying reads
// that a signal interrupted. Plain read(2), not a stream: libstdc++'s filebuf
// throws when a read fails (/proc/PID/cmdline of a process that just exited
// fails with ESRCH).
#pragma once

#include <cerrno>
#include <string>
#include <unistd.h>

namespace procsql {

// 0 at the end, or the errno of the read that failed; what was read before
// stays in *out.
inline int read_to_end(int fd, std::string* out) {
	char buf[1 << 16];
	for (;;) {
		const ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			out->append(buf, size_t(n));
		} else if (n == 0) {
			return 0;
		} else if (errno != EINTR) {
			return errno;
		}
	}
}

} // namespace procsql
