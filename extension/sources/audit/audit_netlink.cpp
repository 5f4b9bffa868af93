#include "sources/audit/audit_netlink.h"

#include <libaudit.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <new>

#include "sources/audit/netlink_receive.h"

namespace procsql {

namespace {

// Big enough for any audit record (AUDIT_MESSAGE_TEXT_MAX 8560 + header) and
// any listed rule (1040 bytes + up to a few PATH_MAX strings), which libaudit's
// own 8970-byte reply buffer is not: a watch rule with a long path and a long
// exe= would be cut there.
constexpr size_t kReceiveBuffer = 64 * 1024;

// Netlink message types below this are requests and their replies
// (AUDIT_GET 1000 ... AUDIT_LAST_* < 1100); from here on they are records
// (AUDIT_FIRST_USER_MSG 1100, kernel records 1300..., AUDIT_KERNEL 2000...).
constexpr uint32_t kFirstRecordType = AUDIT_FIRST_USER_MSG;

constexpr size_t kRuleHeader = sizeof(struct audit_rule_data);

int64_t monotonic_ms() {
	struct timespec ts {};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string errno_text(int err) {
	return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

// The kernel's answer to an audit request, as one line that says what to do.
// `changes`: the request changes the audit state, which a lock (enabled=2)
// also refuses with EPERM; reads (status, rule list) are allowed then.
std::string request_error(const char* what, int err, bool changes = true) {
	std::string line = std::string("audit: ") + what + " failed: " + errno_text(err);
	switch (err) {
	case EPERM:
		line += changes ? ": needs root (CAP_AUDIT_CONTROL), or audit is locked (auditctl -e 2)"
		                : ": needs root (CAP_AUDIT_CONTROL)";
		break;
	case ECONNREFUSED:
		line += ": audit can only be controlled from the initial user and pid namespace";
		break;
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		line += ": this kernel has no audit support (CONFIG_AUDIT)";
		break;
	default:
		break;
	}
	return line;
}

uint32_t read_u32(const uint8_t* p) {
	uint32_t v;
	std::memcpy(&v, p, sizeof(v));
	return v;
}

// Fields whose value is the length of a string stored in the rule's buf
// (kernel/auditfilter.c audit_krule_to_data): the key, watch/dir/exe paths
// and the LSM labels.
bool is_string_field(uint32_t field) {
	switch (field) {
	case AUDIT_SUBJ_USER:
	case AUDIT_SUBJ_ROLE:
	case AUDIT_SUBJ_TYPE:
	case AUDIT_SUBJ_SEN:
	case AUDIT_SUBJ_CLR:
	case AUDIT_OBJ_USER:
	case AUDIT_OBJ_ROLE:
	case AUDIT_OBJ_TYPE:
	case AUDIT_OBJ_LEV_LOW:
	case AUDIT_OBJ_LEV_HIGH:
	case AUDIT_WATCH:
	case AUDIT_DIR:
	case AUDIT_FILTERKEY:
	case AUDIT_EXE:
		return true;
	default:
		return false;
	}
}

// Walks the netlink messages of one datagram from an audit socket. The
// kernel's unicast records (to the registered audit pid) carry nlmsg_len =
// payload length without the header, a historical quirk auditd depends on;
// the multicast copies and all replies carry standard lengths. A record whose
// nlmsg_len + header is exactly what is left is read as the quirk (a standard
// message cannot be 16 bytes shorter than the rest of its datagram unless a
// header-only message follows, which the kernel never appends to a record).
// Stops at the first message that does not fit: never reads past `size`.
template <typename Fn>
void for_each_message(const uint8_t* data, size_t size, Fn&& fn) {
	size_t off = 0;
	while (size - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		std::memcpy(&h, data + off, sizeof(h));
		const size_t avail = size - off;
		size_t payload_len = 0, advance = 0;
		if (h.nlmsg_type >= kFirstRecordType && size_t(h.nlmsg_len) + NLMSG_HDRLEN == avail) {
			payload_len = avail - NLMSG_HDRLEN;
			advance = avail;
		} else if (h.nlmsg_len >= NLMSG_HDRLEN && h.nlmsg_len <= avail) {
			payload_len = h.nlmsg_len - NLMSG_HDRLEN;
			advance = std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), avail);
		} else {
			return;
		}
		fn(h, data + off + NLMSG_HDRLEN, payload_len);
		off += advance;
	}
}

std::string_view record_text(const uint8_t* payload, size_t len) {
	while (len > 0 && payload[len - 1] == 0) {
		len--;
	}
	return std::string_view(reinterpret_cast<const char*>(payload), len);
}

bool is_record(const struct nlmsghdr& h) {
	return h.nlmsg_type >= kFirstRecordType;
}

// Waits for the fd to become readable until deadline_ms (monotonic).
bool wait_readable(int fd, int64_t deadline_ms) {
	for (;;) {
		const int64_t left = deadline_ms - monotonic_ms();
		if (left <= 0) {
			return false;
		}
		struct pollfd p {};
		p.fd = fd;
		p.events = POLLIN;
		const int r = poll(&p, 1, int(std::min<int64_t>(left, 1000)));
		if (r > 0) {
			return true;
		}
		if (r < 0 && errno != EINTR) {
			return false;
		}
	}
}

void set_receive_buffer(int fd, size_t bytes) {
	if (bytes == 0) {
		return;
	}
	const int v = int(std::min<size_t>(bytes, size_t(1) << 30));
	// SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN;
	// without it SO_RCVBUF still gets up to rmem_max.
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
}

} // namespace

bool AuditRule::has_syscall(int nr) const {
	if (all_syscalls) {
		return true;
	}
	if (nr < 0 || nr >= AUDIT_BITMASK_SIZE * 32) {
		return false;
	}
	const size_t at = offsetof(struct audit_rule_data, mask) + AUDIT_WORD(nr) * sizeof(uint32_t);
	if (data.size() < at + sizeof(uint32_t)) {
		return false;
	}
	return (read_u32(data.data() + at) & AUDIT_BIT(nr)) != 0;
}

bool parse_audit_rule(const void* data, size_t size, AuditRule* out, std::string* why) {
	const auto* p = static_cast<const uint8_t*>(data);
	if (size < kRuleHeader) {
		*why = "audit rule of " + std::to_string(size) + " bytes, shorter than struct audit_rule_data";
		return false;
	}
	const uint32_t flags = read_u32(p + offsetof(struct audit_rule_data, flags));
	const uint32_t field_count = read_u32(p + offsetof(struct audit_rule_data, field_count));
	const uint32_t buflen = read_u32(p + offsetof(struct audit_rule_data, buflen));
	if (field_count > AUDIT_MAX_FIELDS) {
		*why = "audit rule with " + std::to_string(field_count) + " fields (at most " +
		       std::to_string(AUDIT_MAX_FIELDS) + ")";
		return false;
	}
	if (buflen > size - kRuleHeader) {
		*why = "audit rule whose strings (" + std::to_string(buflen) + " bytes) go past its end";
		return false;
	}
	AuditRule rule;
	rule.list = flags & ~uint32_t(AUDIT_FILTER_PREPEND);
	rule.action = read_u32(p + offsetof(struct audit_rule_data, action));
	rule.field_count = field_count;
	// An "all syscalls" rule has every bit set, except that the kernel clears
	// the 16 syscall-class bits at the top (expanding them into their classes)
	// before it stores and lists the rule.
	rule.all_syscalls = true;
	for (size_t w = 0; w < AUDIT_BITMASK_SIZE; w++) {
		uint32_t word = read_u32(p + offsetof(struct audit_rule_data, mask) + w * sizeof(uint32_t));
		if (w == AUDIT_BITMASK_SIZE - 1) {
			word |= 0xffff0000u;
		}
		if (word != 0xffffffffu) {
			rule.all_syscalls = false;
		}
	}
	const uint8_t* buf = p + kRuleHeader;
	size_t str_off = 0;
	for (uint32_t i = 0; i < field_count; i++) {
		const uint32_t field = read_u32(p + offsetof(struct audit_rule_data, fields) + i * sizeof(uint32_t));
		const uint32_t value = read_u32(p + offsetof(struct audit_rule_data, values) + i * sizeof(uint32_t));
		const uint32_t op = read_u32(p + offsetof(struct audit_rule_data, fieldflags) + i * sizeof(uint32_t));
		if (is_string_field(field)) {
			if (value > buflen - str_off) {
				*why = "audit rule field " + std::to_string(i) + ": string of " + std::to_string(value) +
				       " bytes goes past the rule's " + std::to_string(buflen) + " bytes of strings";
				return false;
			}
			if (field == AUDIT_FILTERKEY) {
				rule.key.assign(reinterpret_cast<const char*>(buf + str_off), value);
			} else {
				rule.has_other_fields = true;
			}
			str_off += value;
			continue;
		}
		if (field == AUDIT_ARCH && op == AUDIT_EQUAL) {
			rule.arch = value;
			continue;
		}
		rule.has_other_fields = true;
	}
	rule.data.assign(p, p + kRuleHeader + buflen);
	*out = std::move(rule);
	return true;
}

size_t audit_datagram_records(const uint8_t* data, size_t size,
                              const std::function<void(uint32_t, std::string_view)>& on_record) {
	size_t count = 0;
	for_each_message(data, size, [&](const struct nlmsghdr& h, const uint8_t* payload, size_t len) {
		if (is_record(h)) {
			on_record(h.nlmsg_type, record_text(payload, len));
			count++;
		}
	});
	return count;
}

// ---------------------------------------------------------------------------
// AuditControl

AuditControl::AuditControl(int fd) : fd_(fd), buf_(kReceiveBuffer) {}

AuditControl::~AuditControl() {
	audit_close(fd_);
}

std::unique_ptr<AuditControl> AuditControl::open(std::string* error) {
	try {
		const int fd = audit_open();
		if (fd < 0) {
			*error = request_error("opening the audit netlink socket", errno);
			return nullptr;
		}
		std::unique_ptr<AuditControl> control(new AuditControl(fd));
		// The socket itself needs no privilege: the first request tells.
		AuditStatus status;
		if (!control->status(&status, error)) {
			return nullptr;
		}
		return control;
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory opening the control socket";
		return nullptr;
	}
}

void AuditControl::keep_record(uint32_t type, std::string_view text) {
	if (pending_.size() >= kMaxPendingRecords) {
		pending_.pop_front();
		pending_overruns_++;
	}
	pending_.emplace_back(type, std::string(text));
}

void AuditControl::absorb_queued() {
	for (size_t i = 0; i < kMaxDatagramsPerRead; i++) {
		size_t size = 0;
		const int r = receive_kernel_datagram(fd_, &buf_, &size);
		if (r == -1) {
			pending_overruns_++;
			continue;
		}
		if (r <= 0) {
			return;
		}
		for_each_message(buf_.data(), size, [&](const struct nlmsghdr& h, const uint8_t* payload, size_t len) {
			if (is_record(h)) {
				keep_record(h.nlmsg_type, record_text(payload, len));
			}
			// Anything else is a reply to an earlier request that timed
			// out, or an ACK libaudit did not see: nobody waits for it.
		});
	}
}

bool AuditControl::request(const char* what, const std::function<int()>& send,
                           const std::function<bool(uint16_t, const uint8_t*, size_t)>& on_reply,
                           std::string* error) {
	absorb_queued();
	// libaudit sends with NLM_F_ACK and consumes the ACK when it is the next
	// message (reporting a refusal as -errno); the reply proper follows it,
	// sent by a kernel thread once the request is done.
	const int seq = send();
	if (seq <= 0) {
		last_errno_ = seq < 0 ? -seq : EPROTO;
		*error = request_error(what, last_errno_, false);
		return false;
	}
	int64_t deadline = monotonic_ms() + kAuditReplyTimeoutMs;
	bool done = false;
	int refused = 0;
	while (!done && refused == 0) {
		// Checked on every pass: a stream of records (when registered as
		// the audit pid) must not keep us here when the reply never comes.
		if (monotonic_ms() >= deadline) {
			*error = std::string("audit: ") + what + ": no reply from the kernel within " +
			         std::to_string(kAuditReplyTimeoutMs) + " ms";
			return false;
		}
		size_t size = 0;
		const int r = receive_kernel_datagram(fd_, &buf_, &size);
		if (r == -1) {
			pending_overruns_++;
			continue;
		}
		if (r == -2) {
			*error = std::string("audit: ") + what + ": receiving the reply failed: " + errno_text(errno);
			return false;
		}
		if (r == 0) {
			(void)wait_readable(fd_, deadline);
			continue;
		}
		for_each_message(buf_.data(), size, [&](const struct nlmsghdr& h, const uint8_t* payload, size_t len) {
			if (is_record(h)) {
				keep_record(h.nlmsg_type, record_text(payload, len));
				return;
			}
			if (done || refused != 0 || h.nlmsg_seq != uint32_t(seq)) {
				return; // a late reply to something else
			}
			if (h.nlmsg_type == NLMSG_ERROR) {
				int32_t err = 0;
				if (len >= sizeof(err)) {
					std::memcpy(&err, payload, sizeof(err));
				}
				if (err < 0) {
					refused = -err;
				}
				return; // err == 0: the ACK; the reply is still to come
			}
			if (on_reply(h.nlmsg_type, payload, len)) {
				done = true;
			}
			// Progress: a long rule list is not a timeout.
			deadline = monotonic_ms() + kAuditReplyTimeoutMs;
		});
	}
	if (refused != 0) {
		last_errno_ = refused;
		*error = request_error(what, refused, false);
		return false;
	}
	return true;
}

bool AuditControl::simple(const char* what, int rc, std::string* error) {
	if (rc < 0) {
		last_errno_ = -rc;
		*error = request_error(what, -rc);
		return false;
	}
	return true;
}

bool AuditControl::status(AuditStatus* out, std::string* error) {
	try {
		bool got = false;
		const bool ok = request(
		    "status request", [&] { return audit_request_status(fd_); },
		    [&](uint16_t type, const uint8_t* payload, size_t len) {
			    if (type != AUDIT_GET) {
				    return false;
			    }
			    // Older kernels send a shorter struct audit_status: what is
			    // missing stays 0.
			    struct audit_status s {};
			    std::memcpy(&s, payload, std::min(len, sizeof(s)));
			    out->enabled = s.enabled;
			    out->failure = s.failure;
			    out->pid = s.pid;
			    out->rate_limit = s.rate_limit;
			    out->backlog_limit = s.backlog_limit;
			    out->lost = s.lost;
			    out->backlog = s.backlog;
			    out->backlog_wait_time = s.backlog_wait_time;
			    got = true;
			    return true;
		    },
		    error);
		return ok && got;
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory reading the status";
		return false;
	}
}

bool AuditControl::set_enabled(uint32_t v, std::string* error) {
	absorb_queued();
	return simple(v == 2 ? "locking audit (enabled=2)" : v ? "enabling audit" : "disabling audit",
	              audit_set_enabled(fd_, v), error);
}

bool AuditControl::set_pid(uint32_t pid, std::string* error) {
	absorb_queued();
	// WAIT_NO: the ACK (consumed by libaudit) is the whole answer; WAIT_YES
	// would only add a 100 ms poll that eats whatever comes next.
	const int rc = audit_set_pid(fd_, pid, WAIT_NO);
	if (rc < 0) {
		const int err = -rc;
		last_errno_ = err;
		std::string line = request_error(pid ? "registering as the audit daemon" : "unregistering as the audit daemon", err);
		if (err == EEXIST) {
			line += ": another audit daemon (auditd?) is registered";
		} else if (err == EINVAL && pid != 0) {
			line += ": the pid must be this process's own";
		} else if (err == EACCES) {
			line += ": only the registered audit daemon can unregister itself";
		}
		*error = line;
		return false;
	}
	return true;
}

bool AuditControl::set_backlog_limit(uint32_t v, std::string* error) {
	absorb_queued();
	return simple("setting the backlog limit", audit_set_backlog_limit(fd_, v), error);
}

bool AuditControl::list_rules(std::vector<AuditRule>* out, std::string* error) {
	try {
		std::vector<AuditRule> rules;
		std::string bad;
		const bool ok = request(
		    "listing the rules", [&] { return audit_request_rules_list_data(fd_); },
		    [&](uint16_t type, const uint8_t* payload, size_t len) {
			    if (type == NLMSG_DONE) {
				    return true;
			    }
			    if (type != AUDIT_LIST_RULES) {
				    return false;
			    }
			    AuditRule rule;
			    std::string why;
			    if (!parse_audit_rule(payload, len, &rule, &why)) {
				    if (bad.empty()) {
					    bad = why;
				    }
				    return false;
			    }
			    rules.push_back(std::move(rule));
			    return false;
		    },
		    error);
		if (!ok) {
			return false;
		}
		if (!bad.empty()) {
			// Deciding which rules are stale or shadow ours needs all of
			// them: a partial list would be a wrong answer, not a smaller one.
			*error = "audit: listing the rules: the kernel sent a malformed rule: " + bad;
			return false;
		}
		*out = std::move(rules);
		return true;
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory listing the rules";
		return false;
	}
}

namespace {

// libaudit writes flags/action into the struct it sends: a private, aligned
// copy of the caller's bytes, checked to be one whole struct audit_rule_data.
bool rule_copy(const std::vector<uint8_t>& data, std::vector<uint32_t>* copy, std::string* error) {
	if (data.size() < kRuleHeader ||
	    read_u32(data.data() + offsetof(struct audit_rule_data, buflen)) != data.size() - kRuleHeader) {
		*error = "audit: rule data of " + std::to_string(data.size()) +
		         " bytes is not a struct audit_rule_data with its strings";
		return false;
	}
	copy->assign((data.size() + sizeof(uint32_t) - 1) / sizeof(uint32_t), 0);
	std::memcpy(copy->data(), data.data(), data.size());
	return true;
}

} // namespace

bool AuditControl::add_rule(const std::vector<uint8_t>& data, uint32_t list, uint32_t action,
                            std::string* error) {
	try {
		std::vector<uint32_t> copy;
		if (!rule_copy(data, &copy, error)) {
			return false;
		}
		absorb_queued();
		const int rc = audit_add_rule_data(fd_, reinterpret_cast<struct audit_rule_data*>(copy.data()),
		                                   int(list), int(action));
		if (rc < 0 && -rc == EEXIST) {
			last_errno_ = EEXIST;
			*error = "audit: adding a rule failed: the same rule already exists";
			return false;
		}
		return simple("adding a rule", rc, error);
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory adding a rule";
		return false;
	}
}

bool AuditControl::delete_rule(const AuditRule& rule, std::string* error) {
	try {
		std::vector<uint32_t> copy;
		if (!rule_copy(rule.data, &copy, error)) {
			return false;
		}
		// The listed flags, AUDIT_FILTER_PREPEND included: the kernel
		// compares it too when it looks for the rule to delete.
		const uint32_t flags = copy[offsetof(struct audit_rule_data, flags) / sizeof(uint32_t)];
		const uint32_t action = copy[offsetof(struct audit_rule_data, action) / sizeof(uint32_t)];
		absorb_queued();
		const int rc = audit_delete_rule_data(fd_, reinterpret_cast<struct audit_rule_data*>(copy.data()),
		                                      int(flags), int(action));
		if (rc < 0 && -rc == ENOENT) {
			last_errno_ = ENOENT;
			*error = "audit: deleting a rule failed: no such rule (already deleted?)";
			return false;
		}
		return simple("deleting a rule", rc, error);
	} catch (const std::bad_alloc&) {
		*error = "audit: out of memory deleting a rule";
		return false;
	}
}

namespace {

// A slot holds any record (AUDIT_MESSAGE_TEXT_MAX 8560 + the header). Audit
// sends each record as a datagram of its own: a recvfrom each cost a system
// call per record (about 14 per spawn with procsql's rules).
constexpr size_t kRecordSlot = 16 * 1024;

// The records queued on a non-blocking audit socket now, each to on_record
// (see receive_kernel_datagrams). Returns the records.
size_t read_queued_records(int fd, std::vector<uint8_t>* batch,
                           const std::function<void(uint32_t, std::string_view)>& on_record, uint64_t* overruns) {
	size_t count = 0;
	receive_kernel_datagrams(
	    fd, batch, kRecordSlot, AuditControl::kMaxDatagramsPerRead,
	    [&](const uint8_t* data, size_t size) { count += audit_datagram_records(data, size, on_record); }, overruns);
	return count;
}

} // namespace

size_t AuditControl::read_records(const std::function<void(uint32_t, std::string_view)>& on_record,
                                  uint64_t* overruns) {
	size_t count = 0;
	if (overruns) {
		*overruns += pending_overruns_;
	}
	pending_overruns_ = 0;
	while (!pending_.empty()) {
		const auto record = std::move(pending_.front());
		pending_.pop_front();
		on_record(record.first, record.second);
		count++;
	}
	return count + read_queued_records(fd_, &batch_, on_record, overruns);
}

// ---------------------------------------------------------------------------
// AuditMulticast

AuditMulticast::AuditMulticast(int fd) : fd_(fd) {}

AuditMulticast::~AuditMulticast() {
	if (fd_ >= 0) {
		close(fd_);
	}
}

std::unique_ptr<AuditMulticast> AuditMulticast::open(size_t rcvbuf_bytes, std::string* error) {
	const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0) {
		*error = request_error("opening the audit multicast socket", errno);
		return nullptr;
	}
	set_receive_buffer(fd, rcvbuf_bytes);
	struct sockaddr_nl addr {};
	addr.nl_family = AF_NETLINK;
	addr.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
	if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
		const int err = errno;
		close(fd);
		std::string line = "audit: joining the audit multicast group failed: " + errno_text(err);
		if (err == EPERM) {
			line += ": needs CAP_AUDIT_READ";
		} else if (err == ECONNREFUSED) {
			line += ": only possible in the initial user namespace";
		}
		*error = line;
		return nullptr;
	}
	try {
		return std::unique_ptr<AuditMulticast>(new AuditMulticast(fd));
	} catch (const std::bad_alloc&) {
		close(fd);
		*error = "audit: out of memory opening the multicast socket";
		return nullptr;
	}
}

size_t AuditMulticast::read_records(const std::function<void(uint32_t, std::string_view)>& on_record,
                                    uint64_t* overruns) {
	return read_queued_records(fd_, &batch_, on_record, overruns);
}

} // namespace procsql
