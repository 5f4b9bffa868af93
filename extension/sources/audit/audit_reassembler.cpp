#include "sources/audit/audit_reassembler.h"

#include <iterator>
#include <limits>
#include <utility>

namespace procsql {
namespace {

// now - then without overflow: a caller's clock (or a fuzzer) may hand any
// value, and a wrapped difference would expire everything or nothing.
int64_t age(int64_t now, int64_t then) {
	int64_t d;
	if (__builtin_sub_overflow(now, then, &d)) {
		return now > then ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
	}
	return d;
}

} // namespace

AuditReassembler::AuditReassembler(int64_t timeout_ns, size_t max_pending)
    : timeout_ns_(timeout_ns < 0 ? 0 : timeout_ns), max_pending_(max_pending == 0 ? 1 : max_pending) {}

void AuditReassembler::flush(List::iterator it, bool complete, std::vector<AuditEvent>* done) {
	AuditEvent& ev = it->event;
	ev.complete = complete;
	if (!complete) {
		// Only a syscall event has an EOE to miss: records such as AUDIT_USER
		// or ANOM_ABEND are whole events of their own and always end this way.
		for (const AuditRecord& r : ev.records) {
			if (r.type == kAuditSyscall) {
				incomplete_++;
				break;
			}
		}
	}
	index_.erase(Key{ev.serial, ev.time_ns});
	done->push_back(std::move(ev));
	order_.erase(it);
}

void AuditReassembler::add(AuditRecord record, int64_t now_ns, std::vector<AuditEvent>* done) {
	records_++;
	// Serials are unique per boot; the time is part of the key so that a
	// wrapped or reset serial (another boot's records replayed) never merges
	// two events.
	const Key key{record.serial, record.time_ns};
	auto found = index_.find(key);
	if (record.type == kAuditEoe) {
		// An EOE whose records were all lost (or already flushed by timeout)
		// ends nothing: there is nothing left to decode.
		if (found != index_.end()) flush(found->second, true, done);
		return;
	}
	List::iterator it;
	if (found == index_.end()) {
		Pending p;
		p.event.serial = record.serial;
		p.event.time_ns = record.time_ns;
		p.first_seen_ns = now_ns;
		order_.push_back(std::move(p));
		it = std::prev(order_.end());
		index_.emplace(key, it);
	} else {
		it = found->second;
	}
	size_t& count = record.type == kAuditExecve ? it->execve_records : it->other_records;
	const size_t cap = record.type == kAuditExecve ? kMaxExecveRecords : kMaxOtherRecords;
	if (count >= cap) {
		dropped_++;
	} else {
		count++;
		it->event.records.push_back(std::move(record));
	}
	while (order_.size() > max_pending_) flush(order_.begin(), false, done);
}

void AuditReassembler::expire(int64_t now_ns, std::vector<AuditEvent>* done) {
	// order_ is in arrival order, so the expired events are a prefix of it as
	// long as the caller's clock does not go back; if it does, they are
	// flushed a little late, never early.
	while (!order_.empty() && age(now_ns, order_.front().first_seen_ns) > timeout_ns_) {
		flush(order_.begin(), false, done);
	}
	while (order_.size() > max_pending_) flush(order_.begin(), false, done);
}

size_t AuditReassembler::pending() const { return order_.size(); }

uint64_t AuditReassembler::incomplete_events() const { return incomplete_; }

uint64_t AuditReassembler::records() const { return records_; }

uint64_t AuditReassembler::dropped_records() const { return dropped_; }

} // namespace procsql
