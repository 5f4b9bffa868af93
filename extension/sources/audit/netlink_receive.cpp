#include "sources/audit/netlink_receive.h"

#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>

namespace procsql {

size_t receive_kernel_datagrams(int fd, std::vector<uint8_t>* area, size_t slot_bytes, size_t max_datagrams,
                                const std::function<void(const uint8_t*, size_t)>& on_datagram, uint64_t* overruns) {
	if (area->size() < kNetlinkBatchSlots * slot_bytes) {
		area->resize(kNetlinkBatchSlots * slot_bytes);
	}
	struct mmsghdr msgs[kNetlinkBatchSlots];
	struct iovec iov[kNetlinkBatchSlots];
	struct sockaddr_nl from[kNetlinkBatchSlots];
	size_t taken = 0;
	while (taken < max_datagrams) {
		for (size_t i = 0; i < kNetlinkBatchSlots; i++) {
			iov[i].iov_base = area->data() + i * slot_bytes;
			iov[i].iov_len = slot_bytes;
			std::memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		const int n = recvmmsg(fd, msgs, kNetlinkBatchSlots, MSG_DONTWAIT | MSG_TRUNC, nullptr);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == ENOBUFS) {
				if (overruns) {
					++*overruns;
				}
				taken++;
				continue;
			}
			break; // EAGAIN: nothing queued; anything else: the next poll tells
		}
		for (int i = 0; i < n; i++) {
			const struct msghdr& h = msgs[i].msg_hdr;
			if (h.msg_namelen != sizeof(from[i]) || from[i].nl_pid != 0) {
				continue; // not the kernel's
			}
			if (msgs[i].msg_len > slot_bytes || (h.msg_flags & MSG_TRUNC)) {
				if (overruns) {
					++*overruns; // larger than any the kernel sends: lost, and said so
				}
				continue;
			}
			on_datagram(static_cast<const uint8_t*>(iov[i].iov_base), msgs[i].msg_len);
		}
		taken += size_t(n);
		if (size_t(n) < kNetlinkBatchSlots) {
			break; // the queue was emptied
		}
	}
	return taken;
}

int receive_kernel_datagram(int fd, std::vector<uint8_t>* buf, size_t* size) {
	for (;;) {
		struct sockaddr_nl from {};
		socklen_t from_len = sizeof(from);
		const ssize_t n = recvfrom(fd, buf->data(), buf->size(), MSG_DONTWAIT | MSG_TRUNC,
		                           reinterpret_cast<struct sockaddr*>(&from), &from_len);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return 0;
			}
			return errno == ENOBUFS ? -1 : -2;
		}
		if (from_len != sizeof(from) || from.nl_pid != 0 || size_t(n) > buf->size()) {
			continue; // not the kernel's, or cut short
		}
		*size = size_t(n);
		return 1;
	}
}

} // namespace procsql
