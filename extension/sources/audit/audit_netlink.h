// The kernel-facing side of the audit backend: the libaudit control socket
// (status, enable, audit pid, rules; records when procsql is the registered
// audit daemon) and the read-only multicast socket (records when someone else,
// e.g. auditd, is the audit daemon or nobody is).
//
// Nothing here throws and nothing blocks without a bound: every reply the
// kernel owes us is waited for at most kReplyTimeoutMs, every read is
// non-blocking. Failures come back as one line naming what failed and why.
// Neither class is thread-safe: each has one user at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace procsql {

// A kernel reply not there after this long is an error, not a reason to hang.
constexpr int kAuditReplyTimeoutMs = 2000;

struct AuditStatus {
	uint32_t enabled = 0, failure = 0, pid = 0, rate_limit = 0, backlog_limit = 0, lost = 0, backlog = 0,
	         backlog_wait_time = 0;
};

struct AuditRule {              // one rule as the kernel lists it
	std::vector<uint8_t> data;   // the struct audit_rule_data bytes, usable to delete it exactly
	uint32_t list = 0, action = 0; // AUDIT_FILTER_EXIT..., AUDIT_ALWAYS/AUDIT_NEVER
	std::string key;             // AUDIT_FILTERKEY value ("" when none)
	uint32_t arch = 0;           // AUDIT_ARCH value, 0 when the rule has no arch field
	                             // (or one compared with something else than '=': such
	                             // a field counts as one of the "other fields")
	bool all_syscalls = false;   // bitmap full
	bool has_syscall(int nr) const;
	bool has_other_fields = false; // any field besides arch and key (the rule is conditional)
	uint32_t field_count = 0;    // all fields, arch and key included
};

// Reads the struct audit_rule_data bytes the kernel lists (or we built) into
// an AuditRule. Every count, length and string offset is checked against
// `size`; false and a one-line reason when they do not fit.
bool parse_audit_rule(const void* data, size_t size, AuditRule* out, std::string* why);

class AuditControl {           // the libaudit control socket (NETLINK_AUDIT, unicast)
public:
	// audit_open() and one status request, so that "not root", "not in the
	// initial namespaces" and "no audit in this kernel" are told here, once.
	static std::unique_ptr<AuditControl> open(std::string* error);
	~AuditControl();             // audit_close
	AuditControl(const AuditControl&) = delete;
	AuditControl& operator=(const AuditControl&) = delete;

	int fd() const { return fd_; }
	// The errno of the last request the kernel refused (0: none yet), for
	// callers that treat one (e.g. ENOENT on a delete) as expected.
	int last_errno() const { return last_errno_; }
	bool status(AuditStatus* out, std::string* error);
	bool set_enabled(uint32_t v, std::string* error);
	// Registers this socket as the audit daemon (0: unregister). The kernel
	// wants pid == this process's pid (getpid()) and sends the records to the
	// socket the request came from, whatever its port id.
	bool set_pid(uint32_t pid, std::string* error);
	bool set_backlog_limit(uint32_t v, std::string* error);
	// All rules of all lists, in the kernel's order (list by list, each in
	// evaluation order).
	bool list_rules(std::vector<AuditRule>* out, std::string* error);
	// `data`: a struct audit_rule_data (header + buflen bytes of strings).
	// `list` may carry AUDIT_FILTER_PREPEND.
	bool add_rule(const std::vector<uint8_t>& data, uint32_t list, uint32_t action, std::string* error);
	bool delete_rule(const AuditRule& rule, std::string* error);
	// When registered as the audit pid, records arrive on fd(): read those already queued
	// (non-blocking), calling on_record(type, text) for each; ENOBUFS counted in *overruns.
	// on_record must not throw; `text` is valid only during the call.
	// Records that arrived while a request above waited for its reply come first.
	// At most kMaxDatagramsPerRead datagrams per call, so a flood cannot keep
	// the caller here: call again while it returns > 0.
	size_t read_records(const std::function<void(uint32_t, std::string_view)>& on_record, uint64_t* overruns);

	static constexpr size_t kMaxDatagramsPerRead = 4096;
	static constexpr size_t kMaxPendingRecords = 65536;

private:
	explicit AuditControl(int fd);
	// Moves what is queued on the socket now into pending_ (records) or the
	// bin (stale replies), so that a request's ACK is the next message
	// libaudit sees: it only looks at the head of the queue.
	void absorb_queued();
	void keep_record(uint32_t type, std::string_view text);
	// Sends with the libaudit call `send` (returning its sequence number or
	// -errno) and waits for the replies of that sequence: each goes to
	// on_reply, which returns true at the last one. An NLMSG_ERROR refusal
	// ends it with an error; so does kAuditReplyTimeoutMs without progress.
	bool request(const char* what, const std::function<int()>& send,
	             const std::function<bool(uint16_t type, const uint8_t* payload, size_t len)>& on_reply,
	             std::string* error);
	bool simple(const char* what, int rc, std::string* error);

	int fd_ = -1;
	int last_errno_ = 0;
	std::vector<uint8_t> buf_;
	std::vector<uint8_t> batch_; // read_records' receive area (recvmmsg), sized on first use
	std::deque<std::pair<uint32_t, std::string>> pending_;
	uint64_t pending_overruns_ = 0; // ENOBUFS and pending_ overflow seen outside read_records
};

class AuditMulticast {         // socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) bound to AUDIT_NLGRP_READLOG
public:
	// rcvbuf_bytes: SO_RCVBUFFORCE (SO_RCVBUF when not permitted); 0 keeps the default.
	// Binding needs CAP_AUDIT_READ.
	static std::unique_ptr<AuditMulticast> open(size_t rcvbuf_bytes, std::string* error);
	~AuditMulticast();
	AuditMulticast(const AuditMulticast&) = delete;
	AuditMulticast& operator=(const AuditMulticast&) = delete;

	int fd() const { return fd_; }
	// Like AuditControl::read_records.
	size_t read_records(const std::function<void(uint32_t, std::string_view)>& on_record, uint64_t* overruns);

private:
	explicit AuditMulticast(int fd);
	int fd_ = -1;
	std::vector<uint8_t> batch_; // read_records' receive area (recvmmsg), sized on first use
};

// Calls on_record(type, text) for each audit record in one datagram read from
// an audit netlink socket, and returns how many. Netlink control messages
// (NLMSG_NOOP/ERROR/DONE, and types below 1100: replies such as AUDIT_GET or
// AUDIT_LIST_RULES) are skipped. Handles the kernel's unicast quirk (a
// record's nlmsg_len counts only the payload there) and the standard lengths
// the multicast copy carries; never reads past `size`. Trailing NULs are cut.
size_t audit_datagram_records(const uint8_t* data, size_t size,
                              const std::function<void(uint32_t, std::string_view)>& on_record);

} // namespace procsql
