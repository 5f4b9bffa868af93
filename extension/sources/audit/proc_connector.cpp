#include "sources/audit/proc_connector.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
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

// The acknowledgement's receive buffer (read() receives by recvmmsg).
constexpr size_t kReceiveBuffer = 16 * 1024;
// One connector datagram (one event, under 100 bytes) per recvmmsg slot.
constexpr size_t kEventSlot = 4096;

constexpr size_t kEventData = offsetof(struct proc_event, event_data);

// In C++ the header's nested structs live in the anonymous union's type and
// the enumerators in proc_event.
using ForkEvent = decltype(proc_event::event_data.fork);
using ExecEvent = decltype(proc_event::event_data.exec);
using ExitEvent = decltype(proc_event::event_data.exit);
constexpr uint32_t kEventNone = proc_event::PROC_EVENT_NONE;
constexpr uint32_t kEventFork = proc_event::PROC_EVENT_FORK;
constexpr uint32_t kEventExec = proc_event::PROC_EVENT_EXEC;
constexpr uint32_t kEventExit = proc_event::PROC_EVENT_EXIT;

int64_t monotonic_ms() {
	struct timespec ts {};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string errno_text(int err) {
	return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

template <typename T>
T read_at(const uint8_t* p, size_t offset) {
	T v;
	std::memcpy(&v, p + offset, sizeof(v));
	return v;
}

// The cn_msg header of a connector message and its data, when the message is
// from the proc connector and its length fits in `size`.
bool proc_cn_data(const uint8_t* data, size_t size, struct cn_msg* hdr, const uint8_t** payload) {
	if (size < sizeof(struct cn_msg)) {
		return false;
	}
	std::memcpy(hdr, data, sizeof(*hdr));
	if (hdr->id.idx != CN_IDX_PROC || hdr->id.val != CN_VAL_PROC || hdr->len > size - sizeof(struct cn_msg) ||
	    hdr->len < kEventData) {
		return false;
	}
	*payload = data + sizeof(struct cn_msg);
	return true;
}

// Walks the netlink messages of a connector datagram (the kernel sends them
// as NLMSG_DONE with standard lengths), never past `size`.
template <typename Fn>
void for_each_cn_msg(const uint8_t* data, size_t size, Fn&& fn) {
	size_t off = 0;
	while (size - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		std::memcpy(&h, data + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > size - off) {
			return;
		}
		if (h.nlmsg_type != NLMSG_NOOP && h.nlmsg_type != NLMSG_ERROR && h.nlmsg_type != NLMSG_OVERRUN) {
			fn(data + off + NLMSG_HDRLEN, size_t(h.nlmsg_len) - NLMSG_HDRLEN);
		}
		off += std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), size - off);
	}
}

} // namespace

bool parse_proc_cn_msg(const uint8_t* data, size_t size, ProcEvent* out) {
	struct cn_msg hdr;
	const uint8_t* ev = nullptr;
	if (!proc_cn_data(data, size, &hdr, &ev)) {
		return false;
	}
	const size_t len = hdr.len;
	const uint32_t what = read_at<uint32_t>(ev, offsetof(struct proc_event, what));
	ProcEvent e;
	e.monotonic_ns = int64_t(read_at<uint64_t>(ev, offsetof(struct proc_event, timestamp_ns)));
	switch (what) {
	case kEventFork: {
		if (len < kEventData + sizeof(ForkEvent)) {
			return false;
		}
		const auto f = read_at<ForkEvent>(ev, kEventData);
		e.kind = ProcEvent::fork;
		e.pid = f.child_pid;
		e.tgid = f.child_tgid;
		e.parent_pid = f.parent_pid;
		e.parent_tgid = f.parent_tgid;
		break;
	}
	case kEventExec: {
		if (len < kEventData + sizeof(ExecEvent)) {
			return false;
		}
		const auto x = read_at<ExecEvent>(ev, kEventData);
		e.kind = ProcEvent::exec;
		e.pid = x.process_pid;
		e.tgid = x.process_tgid;
		break;
	}
	case kEventExit: {
		// Older kernels end the exit event at exit_signal; the parent
		// fields came later (and are read only when present).
		constexpr size_t kBase = offsetof(ExitEvent, parent_pid);
		if (len < kEventData + kBase) {
			return false;
		}
		ExitEvent x {};
		std::memcpy(&x, ev + kEventData, std::min(len - kEventData, sizeof(x)));
		e.kind = ProcEvent::exit;
		e.pid = x.process_pid;
		e.tgid = x.process_tgid;
		e.exit_code = x.exit_code;
		e.exit_signal = x.exit_signal;
		e.parent_pid = x.parent_pid;
		e.parent_tgid = x.parent_tgid;
		break;
	}
	default:
		return false;
	}
	*out = e;
	return true;
}

size_t parse_proc_datagram(const uint8_t* data, size_t size, std::vector<ProcEvent>* out) {
	size_t count = 0;
	for_each_cn_msg(data, size, [&](const uint8_t* msg, size_t len) {
		ProcEvent e;
		if (parse_proc_cn_msg(msg, len, &e)) {
			out->push_back(e);
			count++;
		}
	});
	return count;
}

ProcConnector::ProcConnector(int fd) : fd_(fd), buf_(kReceiveBuffer) {}

bool ProcConnector::send_op(uint32_t op, uint32_t nonce) {
	// nlmsghdr + cn_msg + the 4-byte op: the form every kernel accepts (the
	// 8-byte struct proc_input with an event filter is 6.6+, and older
	// kernels silently ignore a message of that size).
	uint8_t msg[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(uint32_t))] = {};
	struct nlmsghdr h {};
	h.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(uint32_t));
	h.nlmsg_type = NLMSG_DONE;
	h.nlmsg_seq = nonce;
	struct cn_msg cn {};
	cn.id.idx = CN_IDX_PROC;
	cn.id.val = CN_VAL_PROC;
	cn.seq = nonce;
	cn.ack = nonce;
	cn.len = sizeof(uint32_t);
	std::memcpy(msg, &h, sizeof(h));
	std::memcpy(msg + NLMSG_HDRLEN, &cn, sizeof(cn));
	std::memcpy(msg + NLMSG_HDRLEN + sizeof(cn), &op, sizeof(op));
	struct sockaddr_nl to {};
	to.nl_family = AF_NETLINK; // nl_pid 0: the kernel
	ssize_t n;
	do {
		n = sendto(fd_, msg, h.nlmsg_len, 0, reinterpret_cast<struct sockaddr*>(&to), sizeof(to));
	} while (n < 0 && errno == EINTR);
	return n == ssize_t(h.nlmsg_len);
}

std::unique_ptr<ProcConnector> ProcConnector::open(size_t rcvbuf_bytes, std::string* error) {
	const int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (fd < 0) {
		const int err = errno;
		*error = "process connector: socket failed: " + errno_text(err);
		if (err == EPROTONOSUPPORT) {
			*error += ": this kernel has no connector (CONFIG_CONNECTOR, CONFIG_PROC_EVENTS)";
		}
		return nullptr;
	}
	std::unique_ptr<ProcConnector> self;
	try {
		self.reset(new ProcConnector(fd));
	} catch (const std::bad_alloc&) {
		close(fd);
		*error = "process connector: out of memory";
		return nullptr;
	}
	if (rcvbuf_bytes > 0) {
		const int v = int(std::min<size_t>(rcvbuf_bytes, size_t(1) << 30));
		// SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN.
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0) {
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		}
	}
	struct sockaddr_nl addr {};
	addr.nl_family = AF_NETLINK;
	addr.nl_groups = CN_IDX_PROC;
	if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
		const int err = errno;
		*error = "process connector: joining the proc events group failed: " + errno_text(err);
		if (err == EPERM) {
			*error += ": needs CAP_NET_ADMIN";
		}
		self->fd_ = -1;
		close(fd);
		return nullptr;
	}
	// The kernel answers on the group itself with a PROC_EVENT_NONE whose
	// ack is ours + 1 (its seq is overwritten by newer kernels): a nonce
	// tells our answer from another listener's.
	const uint32_t nonce = uint32_t(getpid()) * 2654435761u ^ uint32_t(monotonic_ms());
	if (!self->send_op(PROC_CN_MCAST_LISTEN, nonce)) {
		*error = "process connector: sending PROC_CN_MCAST_LISTEN failed: " + errno_text(errno);
		self->fd_ = -1;
		close(fd);
		return nullptr;
	}
	const int64_t deadline = monotonic_ms() + kProcConnectorAckTimeoutMs;
	bool acked = false;
	uint32_t refused = 0;
	while (!acked) {
		size_t size = 0;
		const int r = receive_kernel_datagram(fd, &self->buf_, &size);
		if (r == -1) {
			self->early_overruns_++;
			continue;
		}
		if (r == -2) {
			*error = "process connector: receiving failed: " + errno_text(errno);
			return nullptr; // the destructor sends IGNORE: LISTEN may have counted
		}
		if (r == 0) {
			const int64_t left = deadline - monotonic_ms();
			if (left <= 0) {
				*error = "process connector: PROC_CN_MCAST_LISTEN not acknowledged within " +
				         std::to_string(kProcConnectorAckTimeoutMs) +
				         " ms (not permitted? older kernels need CAP_NET_ADMIN, all need the initial "
				         "user and pid namespace)";
				return nullptr;
			}
			struct pollfd p {};
			p.fd = fd;
			p.events = POLLIN;
			(void)poll(&p, 1, int(left));
			continue;
		}
		try {
			for_each_cn_msg(self->buf_.data(), size, [&](const uint8_t* msg, size_t len) {
				struct cn_msg hdr;
				const uint8_t* ev = nullptr;
				if (!proc_cn_data(msg, len, &hdr, &ev)) {
					return;
				}
				const uint32_t what = read_at<uint32_t>(ev, offsetof(struct proc_event, what));
				if (what == kEventNone) {
					if (!acked && hdr.ack == nonce + 1 && hdr.len >= kEventData + sizeof(uint32_t)) {
						acked = true;
						refused = read_at<uint32_t>(ev, kEventData);
					}
					return;
				}
				ProcEvent e;
				if (parse_proc_cn_msg(msg, len, &e)) {
					self->early_.push_back(e);
				}
			});
		} catch (const std::bad_alloc&) {
			*error = "process connector: out of memory";
			return nullptr;
		}
	}
	if (refused != 0) {
		*error = "process connector: PROC_CN_MCAST_LISTEN refused: " + errno_text(int(refused));
		if (refused == EPERM) {
			*error += ": needs CAP_NET_ADMIN";
		}
		self->fd_ = -1; // refused: nothing to IGNORE
		close(fd);
		return nullptr;
	}
	return self;
}

ProcConnector::~ProcConnector() {
	if (fd_ < 0) {
		return;
	}
	// The kernel counts listeners and builds events only while there are
	// some: our LISTEN must be undone, or it builds them for nobody.
	(void)send_op(PROC_CN_MCAST_IGNORE, 0);
	close(fd_);
}

size_t ProcConnector::read(std::vector<ProcEvent>* out, uint64_t* overruns) {
	size_t count = 0;
	try {
		if (overruns) {
			*overruns += early_overruns_;
		}
		early_overruns_ = 0;
		if (!early_.empty()) {
			out->insert(out->end(), early_.begin(), early_.end());
			count += early_.size();
			early_.clear();
		}
		receive_kernel_datagrams(
		    fd_, &batch_, kEventSlot, kMaxDatagramsPerRead,
		    [&](const uint8_t* data, size_t size) { count += parse_proc_datagram(data, size, out); }, overruns);
	} catch (const std::bad_alloc&) {
		// What could not be stored is lost like an overrun.
		if (overruns) {
			++*overruns;
		}
	}
	return count;
}

} // namespace procsql
