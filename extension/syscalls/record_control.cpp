#include "syscalls/record_control.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace procsql {

namespace {

bool list(const std::string& dir, std::vector<std::string>* names, std::string* error) {
	DIR* d = opendir(dir.c_str());
	if (!d) {
		*error = "cannot read " + dir + ": " + std::strerror(errno) +
		         (errno == ENOENT ? " (is procsqld running with this PROCSQL_STATE_DIR?)" : "");
		return false;
	}
	while (dirent* e = readdir(d)) {
		const std::string n = e->d_name;
		if (n != "." && n != ".." && n[0] != '.') {
			names->push_back(n);
		}
	}
	closedir(d);
	return true;
}

} // namespace

std::string record_dir(const std::string& state_dir) { return state_dir + "/record"; }

bool read_record_dir(const std::string& state_dir, SyscallSelection* out, std::string* error) {
	std::vector<std::string> names;
	if (!list(record_dir(state_dir), &names, error)) {
		return false;
	}
	SyscallSelection s;
	std::string ignored;
	for (const std::string& n : names) {
		if (n == "all") {
			s.all = true;
		} else if (valid_container_prefix(n, "record", &ignored)) {
			s.prefixes.push_back(n);
		}
	}
	if (s.all) {
		s.prefixes.clear(); // `all` covers every prefix
	}
	std::sort(s.prefixes.begin(), s.prefixes.end());
	*out = std::move(s);
	return true;
}

bool write_record_dir(const std::string& state_dir, const SyscallSelection& s, std::string* error) {
	const std::string dir = record_dir(state_dir);
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
		*error = "cannot make " + dir + ": " + std::strerror(errno);
		return false;
	}
	// procsqld's (root's) only, whatever PROCSQL_GROUP lets read the stores:
	// what is recorded is not a reader's to change.
	if (chmod(dir.c_str(), 0700) != 0) {
		*error = "cannot make " + dir + " private: " + std::strerror(errno);
		return false;
	}
	std::vector<std::string> names;
	if (!list(dir, &names, error)) {
		return false;
	}
	for (const std::string& n : names) {
		unlink((dir + "/" + n).c_str());
	}
	std::vector<std::string> want = s.prefixes;
	if (s.all) {
		want = {"all"};
	}
	for (const std::string& n : want) {
		const int fd = open((dir + "/" + n).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			*error = "cannot write " + dir + "/" + n + ": " + std::strerror(errno);
			return false;
		}
		close(fd);
	}
	return true;
}

bool change_record_dir(const std::string& state_dir, bool start, const std::string& container, std::string* error) {
	if (geteuid() != 0) {
		*error = "procsql record: only root may change what is recorded (procsqld's " + record_dir(state_dir) + ")";
		return false;
	}
	if (container != "all" && !valid_container_prefix(container, "procsql record", error)) {
		return false;
	}
	const std::string dir = record_dir(state_dir);
	struct stat st{};
	if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
		*error = "procsql record: no " + dir + ": is procsqld running with this PROCSQL_STATE_DIR?";
		return false;
	}
	const std::string path = dir + "/" + container;
	if (start) {
		const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			*error = "procsql record: cannot write " + path + ": " + std::strerror(errno);
			return false;
		}
		close(fd);
		return true;
	}
	if (unlink(path.c_str()) != 0) {
		*error = errno == ENOENT ? "procsql record: '" + container + "' is not being recorded"
		                         : "procsql record: cannot remove " + path + ": " + std::strerror(errno);
		return false;
	}
	return true;
}

} // namespace procsql
