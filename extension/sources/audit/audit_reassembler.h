// Audit records -> events. The kernel writes one syscall's records (SYSCALL,
// EXECVE..., CWD, PATH..., PROCTITLE) as separate netlink messages sharing
// one audit(TIME:SERIAL) stamp and ends them with an AUDIT_EOE record. Records
// of different events interleave (a vfork parent's SYSCALL arrives after its
// child's exec), and records can be lost (backlog full, socket overrun), so
// an event without its EOE is flushed after a timeout, and the number of
// events waiting is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>
#include <vector>

#include "sources/audit/audit_record.h"

namespace procsql {

struct AuditEvent {
	uint64_t serial = 0;
	int64_t time_ns = 0;
	std::vector<AuditRecord> records; // arrival order
	bool complete = false;            // ended by AUDIT_EOE (false: flushed by timeout/overflow)
};

class AuditReassembler {
public:
	explicit AuditReassembler(int64_t timeout_ns = 2'000'000'000, size_t max_pending = 4096);
	// Events the record completes go to *done (EOE record itself not kept).
	// A record that pushes the pending count over max_pending flushes the
	// oldest events (complete=false) right away, so memory stays bounded even
	// when expire() is called late.
	void add(AuditRecord record, int64_t now_ns, std::vector<AuditEvent>* done);
	// Events whose first record arrived more than timeout ago (or beyond max_pending, oldest first)
	// go to *done with complete=false.
	void expire(int64_t now_ns, std::vector<AuditEvent>* done);
	size_t pending() const;
	uint64_t incomplete_events() const; // flushed without EOE while holding a SYSCALL record
	uint64_t records() const;           // records added
	uint64_t dropped_records() const;   // records not kept: over the per-event caps below

	// Per-event caps. An exec of a few MB of arguments makes hundreds of EXECVE
	// records (7,500 bytes each); past the cap they are dropped, which the
	// decoder reports as a truncated command line (argc says more). 96 records
	// hold at least 360 KB of arguments, more than PROCSQL_ARGV_BYTES allows.
	// Other records are capped too (a syscall has a handful of PATH items).
	static constexpr size_t kMaxExecveRecords = 96;
	static constexpr size_t kMaxOtherRecords = 256;

private:
	struct Key {
		uint64_t serial;
		int64_t time_ns;
		bool operator==(const Key& o) const { return serial == o.serial && time_ns == o.time_ns; }
	};
	struct KeyHash {
		size_t operator()(const Key& k) const {
			return std::hash<uint64_t>()(k.serial * 0x9e3779b97f4a7c15ull ^ uint64_t(k.time_ns));
		}
	};
	struct Pending {
		AuditEvent event;
		int64_t first_seen_ns = 0;
		size_t execve_records = 0;
		size_t other_records = 0;
	};
	using List = std::list<Pending>;

	void flush(List::iterator it, bool complete, std::vector<AuditEvent>* done);

	int64_t timeout_ns_;
	size_t max_pending_;
	List order_; // arrival order of each event's first record: oldest first
	std::unordered_map<Key, List::iterator, KeyHash> index_;
	uint64_t incomplete_ = 0;
	uint64_t records_ = 0;
	uint64_t dropped_ = 0;
};

} // namespace procsql
