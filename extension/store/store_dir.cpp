#include "store/store_dir.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "store/control_block.h"
#include "store/store_header.h"

namespace procsql {

namespace {

std::string errno_text() { return std::strerror(errno); }

// mkdir -p with `mode` for the last component; parents get 0755.
bool make_dir(const std::string& dir, mode_t mode, std::string* error) {
	for (size_t at = 1; at <= dir.size(); at++) {
		if (at != dir.size() && dir[at] != '/') {
			continue;
		}
		const std::string part = dir.substr(0, at);
		if (mkdir(part.c_str(), at == dir.size() ? mode : 0755) != 0 && errno != EEXIST) {
			*error = "cannot create " + part + ": " + errno_text();
			return false;
		}
	}
	return true;
}

// A file's mode and group: root-owned; `gid` != -1 opens reading to that group.
bool set_owner(int fd, gid_t gid, mode_t private_mode, mode_t group_mode, const std::string& path,
               std::string* error) {
	const bool grouped = gid != gid_t(-1);
	if (fchown(fd, geteuid(), grouped ? gid : getegid()) != 0 || fchmod(fd, grouped ? group_mode : private_mode) != 0) {
		*error = "cannot set the owner and mode of " + path + ": " + errno_text();
		return false;
	}
	return true;
}

// An open() result that must be a regular file (never a device or a fifo
// planted in the state directory); closes it and says why when it is not.
bool opened_regular(int fd, const std::string& path, struct stat* st, std::string* error) {
	if (fd < 0) {
		*error = "cannot open " + path + ": " + errno_text();
		return false;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		*error = path + " is not a regular file";
		close(fd);
		return false;
	}
	return true;
}

} // namespace

std::string store_file_name(const std::string& table) { return table + ".store"; }

StateDirLock::~StateDirLock() {
	if (fd_ >= 0) {
		close(fd_);
	}
}

bool StateDirLock::acquire(const std::string& dir, gid_t gid, StateDirLock* out, pid_t* holder, std::string* error) {
	*holder = 0;
	const bool grouped = gid != gid_t(-1);
	if (!make_dir(dir, 0755, error)) {
		return false;
	}
	const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*error = "cannot open " + dir + ": " + errno_text();
		return false;
	}
	// Readers outside the group must still see that a daemon runs (and be
	// told they are not in its group), so the directory stays searchable.
	const bool dir_ok = fchown(dfd, geteuid(), grouped ? gid : getegid()) == 0 && fchmod(dfd, 0755) == 0;
	const int dir_errno = errno;
	close(dfd);
	if (!dir_ok) {
		*error = "cannot set the owner and mode of " + dir + ": " + std::strerror(dir_errno);
		return false;
	}
	const std::string path = dir + "/" + kLockFileName;
	const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		*error = "cannot open " + path + ": " + errno_text();
		return false;
	}
	// An open file description lock: it belongs to this open file, not to
	// a pid, is released by the kernel when the daemon dies however it dies,
	// and other processes can test it (F_OFD_GETLK) without taking it.
	struct flock lk{};
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &lk) != 0) {
		const int e = errno;
		close(fd);
		if (e == EAGAIN || e == EACCES) {
			*error = "another procsqld holds " + path;
			// Its pid, as it wrote it in the control region (best effort).
			Region r;
			std::string ignored;
			if (map_store_readonly(dir, kControlFileName, uint64_t(1) << 30, &r, &ignored) &&
			    r.size() >= kStoreHeaderBytes + sizeof(ControlBlock)) {
				const auto* c = reinterpret_cast<const ControlBlock*>(r.data() + kStoreHeaderBytes);
				*holder = pid_t(c->daemon_pid.load(std::memory_order_relaxed));
			}
		} else {
			*error = "cannot lock " + path + ": " + std::strerror(e);
		}
		return false;
	}
	if (fchmod(fd, 0644) != 0) {
		*error = "cannot set the mode of " + path + ": " + errno_text();
		close(fd);
		return false;
	}
	out->fd_ = fd;
	return true;
}

DaemonPresence daemon_presence(const std::string& dir, std::string* error) {
	const std::string path = dir + "/" + kLockFileName;
	const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			return DaemonPresence::none;
		}
		*error = "cannot open " + path + ": " + errno_text();
		return DaemonPresence::unreadable;
	}
	struct flock lk{};
	lk.l_type = F_WRLCK; // would a writer's lock conflict? Only if someone holds one.
	lk.l_whence = SEEK_SET;
	const int rc = fcntl(fd, F_OFD_GETLK, &lk);
	const int e = errno;
	close(fd);
	if (rc != 0) {
		*error = "cannot test the lock of " + path + ": " + std::strerror(e);
		return DaemonPresence::unreadable;
	}
	return lk.l_type == F_UNLCK ? DaemonPresence::none : DaemonPresence::running;
}

bool open_store_for_writing(const std::string& dir, const std::string& name, uint64_t bytes, gid_t gid,
                            Region* out, bool* created, std::string* error) {
	const std::string path = dir + "/" + name;
	*created = false;
	int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		*created = fd >= 0;
	}
	struct stat st{};
	if (!opened_regular(fd, path, &st, error)) {
		return false;
	}
	if (!set_owner(fd, gid, 0600, 0640, path, error)) {
		close(fd);
		return false;
	}
	uint64_t size = uint64_t(st.st_size);
	// Only a file made here is sized: an existing one, even empty, is left as
	// it was found (the caller refuses it and sets it aside intact).
	if (*created) {
		// Sparse: pages cost memory (tmpfs) only once a row reaches them.
		if (ftruncate(fd, off_t(bytes)) != 0) {
			*error = "cannot size " + path + " to " + std::to_string(bytes) + " bytes: " + errno_text();
			close(fd);
			return false;
		}
		size = bytes;
	}
	*out = Region::map_file(fd, size, true, path, error);
	close(fd);
	return bool(*out);
}

std::string set_aside(const std::string& dir, const std::vector<std::string>& names, const std::string& tag,
                      std::string* error) {
	const std::string aside = dir + "/aside/" + tag;
	if (!make_dir(aside, 0700, error)) {
		return "";
	}
	for (const std::string& name : names) {
		const std::string from = dir + "/" + name;
		if (rename(from.c_str(), (aside + "/" + name).c_str()) != 0 && errno != ENOENT) {
			*error = "cannot move " + from + " to " + aside + ": " + errno_text();
			return "";
		}
	}
	return aside;
}

bool map_store_readonly(const std::string& dir, const std::string& name, uint64_t max_bytes, Region* out,
                        std::string* error) {
	const std::string path = dir + "/" + name;
	const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st{};
	if (!opened_regular(fd, path, &st, error)) {
		return false;
	}
	if (uint64_t(st.st_size) < kStoreHeaderBytes || uint64_t(st.st_size) > max_bytes) {
		*error = path + ": " + std::to_string(st.st_size) + " bytes is not the size of a procsql store (truncated?)";
		close(fd);
		return false;
	}
	*out = Region::map_file(fd, size_t(st.st_size), false, path, error);
	close(fd);
	return bool(*out);
}

bool group_id(const std::string& name, gid_t* gid, std::string* error) {
	std::vector<char> buf(16384);
	group g{};
	group* found = nullptr;
	const int rc = getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
	if (rc != 0 || found == nullptr) {
		*error = "PROCSQL_GROUP=" + name + ": no such group";
		return false;
	}
	*gid = found->gr_gid;
	return true;
}

} // namespace procsql
