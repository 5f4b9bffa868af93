#include "sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace procsql {

namespace {

void set_error(std::string* error, const std::string& message) {
	if (error != nullptr) {
		try {
			*error = message;
		} catch (...) {
			// Out of memory for a message: the false return still says it failed.
		}
	}
}

std::string errno_text(int err) {
	return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

// Closes the descriptor on every way out.
class Fd {
public:
	explicit Fd(int fd) : fd_(fd) {}
	~Fd() {
		if (fd_ >= 0) {
			close(fd_);
		}
	}
	Fd(const Fd&) = delete;
	Fd& operator=(const Fd&) = delete;
	int get() const { return fd_; }

private:
	int fd_;
};

} // namespace

bool sd_notify_send(const std::string& state, std::string* error) {
	try {
		const char* env = std::getenv("NOTIFY_SOCKET");
		if (env == nullptr || env[0] == '\0') {
			return true;
		}
		const std::string path(env);
		const std::string where = "NOTIFY_SOCKET=" + path;

		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		socklen_t addr_len = 0;
		if (path[0] == '@') {
			// Abstract namespace: sun_path starts with a NUL, and the name is
			// exactly the bytes the length covers (no terminating NUL: a
			// trailing NUL would be part of the name, another socket).
			if (path.size() < 2) {
				set_error(error, where + ": an abstract socket name needs at least one byte after '@'");
				return false;
			}
			if (path.size() > sizeof(addr.sun_path)) {
				set_error(error, where + ": the abstract socket name is " + std::to_string(path.size()) +
				                     " bytes with its leading NUL, more than sun_path's " +
				                     std::to_string(sizeof(addr.sun_path)));
				return false;
			}
			addr.sun_path[0] = '\0';
			std::memcpy(addr.sun_path + 1, path.data() + 1, path.size() - 1);
			addr_len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size());
		} else if (path[0] == '/') {
			// A file system path, NUL-terminated inside sun_path.
			if (path.size() >= sizeof(addr.sun_path)) {
				set_error(error, where + ": the socket path is " + std::to_string(path.size()) +
				                     " bytes, more than the " + std::to_string(sizeof(addr.sun_path) - 1) +
				                     " sun_path holds");
				return false;
			}
			std::memcpy(addr.sun_path, path.data(), path.size());
			addr_len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1);
		} else {
			set_error(error, where + ": not an absolute path or an '@' abstract socket name");
			return false;
		}

		const Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
		if (fd.get() < 0) {
			set_error(error, where + ": socket(AF_UNIX, SOCK_DGRAM): " + errno_text(errno));
			return false;
		}
		ssize_t n;
		do {
			n = sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
			           reinterpret_cast<const sockaddr*>(&addr), addr_len);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			set_error(error, where + ": cannot send the notification: " + errno_text(errno));
			return false;
		}
		if (size_t(n) != state.size()) {
			// A datagram goes whole or not at all; this is belt and braces.
			set_error(error, where + ": sent " + std::to_string(n) + " of " + std::to_string(state.size()) +
			                     " bytes");
			return false;
		}
		return true;
	} catch (...) {
		// Only std::bad_alloc can get here (building a string).
		set_error(error, "sd_notify: out of memory");
		return false;
	}
}

} // namespace procsql
