// The encoding of rows in a SnapshotStore payload: each field a 64-bit
// little-endian integer, or a 32-bit length then the bytes. The reader
// checks every length against what is left, so a damaged payload ends
// decoding with `false`, never a read past its end or a huge allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace procsql {

class RowWriter {
public:
	void u64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), 8); }
	void i64(int64_t v) { u64(uint64_t(v)); }
	void str(const std::string& s) {
		const uint32_t n = uint32_t(s.size());
		out_.append(reinterpret_cast<const char*>(&n), 4);
		out_.append(s.data(), n);
	}
	const std::string& bytes() const { return out_; }

private:
	std::string out_;
};

class RowReader {
public:
	explicit RowReader(const std::string& in) : p_(in.data()), left_(in.size()) {}
	bool u64(uint64_t* v) {
		if (left_ < 8) return false;
		std::memcpy(v, p_, 8);
		p_ += 8;
		left_ -= 8;
		return true;
	}
	bool i64(int64_t* v) {
		uint64_t u = 0;
		if (!u64(&u)) return false;
		*v = int64_t(u);
		return true;
	}
	bool str(std::string* s) {
		uint32_t n = 0;
		if (left_ < 4) return false;
		std::memcpy(&n, p_, 4);
		if (left_ - 4 < n) return false;
		s->assign(p_ + 4, n);
		p_ += 4 + size_t(n);
		left_ -= 4 + size_t(n);
		return true;
	}
	size_t left() const { return left_; }

private:
	const char* p_;
	size_t left_;
};

} // namespace procsql
