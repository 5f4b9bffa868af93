#include "store/region.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace procsql {

Region::~Region() {
	if (base_ != nullptr) {
		munmap(base_, size_);
	}
}

Region::Region(Region&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)),
      writable_(other.writable_), file_backed_(other.file_backed_) {}

Region& Region::operator=(Region&& other) noexcept {
	if (this != &other) {
		if (base_ != nullptr) {
			munmap(base_, size_);
		}
		base_ = std::exchange(other.base_, nullptr);
		size_ = std::exchange(other.size_, 0);
		writable_ = other.writable_;
		file_backed_ = other.file_backed_;
	}
	return *this;
}

Region Region::anonymous(size_t bytes, std::string* error) {
	Region r;
	void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		*error = "mmap of " + std::to_string(bytes) + " bytes failed: " + std::strerror(errno);
		return r;
	}
	r.base_ = mem;
	r.size_ = bytes;
	r.writable_ = true;
	return r;
}

Region Region::map_file(int fd, size_t bytes, bool writable, const std::string& what, std::string* error) {
	Region r;
	if (bytes == 0) {
		*error = what + ": empty file";
		return r;
	}
	const int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
	void* mem = mmap(nullptr, bytes, prot, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		*error = what + ": mmap of " + std::to_string(bytes) + " bytes failed: " + std::strerror(errno);
		return r;
	}
	r.base_ = mem;
	r.size_ = bytes;
	r.writable_ = writable;
	r.file_backed_ = true;
	return r;
}

} // namespace procsql
