#include "process_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include "fd_read.h"

namespace procsql {

// A process that exits while its cmdline is read (ESRCH) keeps what was read,
// or no argv: it must not fail the whole processes query.
void read_cmdlines(std::vector<LiveProcess>* processes, const std::string& proc_root) {
	for (LiveProcess& p : *processes) {
		const int fd = open((proc_root + "/" + std::to_string(p.pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			continue;
		}
		read_to_end(fd, &p.argv);
		close(fd);
	}
}

} // namespace procsql
