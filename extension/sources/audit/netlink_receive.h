// Receiving what the kernel queued on a netlink socket: many datagrams per
// system call, as the audit socket (a datagram per record, a dozen per
// spawn) and the process-events connector (one per fork, exec and exit) are
// read, or one at a time, as their replies and acknowledgements are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace procsql {

// At most this many datagrams per recvmmsg.
constexpr size_t kNetlinkBatchSlots = 32;

// Takes the datagrams queued on non-blocking netlink socket `fd` now, by
// recvmmsg into `area` (kNetlinkBatchSlots slots of `slot_bytes`, sized on
// first use), at most `max_datagrams` (a reader that never catches up still
// returns). Each datagram from the kernel (port 0) goes to on_datagram;
// one from elsewhere is dropped (libaudit drops them too). ENOBUFS (the
// socket dropped datagrams for us) and a datagram larger than a slot are
// counted in *overruns.
// Returns the datagrams taken.
size_t receive_kernel_datagrams(int fd, std::vector<uint8_t>* area, size_t slot_bytes, size_t max_datagrams,
                                const std::function<void(const uint8_t*, size_t)>& on_datagram, uint64_t* overruns);

// One non-blocking receive into `buf` (its whole size) from the kernel (port
// 0); a datagram sent by another port, or larger than `buf` (MSG_TRUNC tells
// the real size), is dropped, as libaudit drops them. 1: a datagram of
// *size bytes; 0: nothing queued; -1: ENOBUFS (the socket dropped datagrams
// for us); -2: another error (errno set).
int receive_kernel_datagram(int fd, std::vector<uint8_t>* buf, size_t* size);

} // namespace procsql
