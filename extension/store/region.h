// procsql::Region: one mapping that a store lives in.
//
// Embedded, a store's region is anonymous memory of this process. Under
// procsqld it is a file in the state directory, mapped shared and writable
// by the daemon and read-only by every attached reader. Everything placed in
// a region is position-independent (offsets, never pointers), so the same
// bytes mean the same thing in every process at any address, and the same
// code reads both kinds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace procsql {

class Region {
public:
	Region() = default;
	~Region();
	Region(Region&& other) noexcept;
	Region& operator=(Region&& other) noexcept;
	Region(const Region&) = delete;
	Region& operator=(const Region&) = delete;

	// Zero-filled private memory of `bytes` (pages are touched as used).
	static Region anonymous(size_t bytes, std::string* error);
	// The first `bytes` of an open file, shared. `writable` maps it
	// PROT_READ|PROT_WRITE (the fd must be open O_RDWR), else PROT_READ: a
	// reader's stray store faults instead of damaging the store.
	static Region map_file(int fd, size_t bytes, bool writable, const std::string& what, std::string* error);

	explicit operator bool() const { return base_ != nullptr; }
	uint8_t* data() { return static_cast<uint8_t*>(base_); }
	const uint8_t* data() const { return static_cast<const uint8_t*>(base_); }
	size_t size() const { return size_; }
	bool writable() const { return writable_; }
	bool file_backed() const { return file_backed_; }

private:
	void* base_ = nullptr;
	size_t size_ = 0;
	bool writable_ = false;
	bool file_backed_ = false;
};

} // namespace procsql
