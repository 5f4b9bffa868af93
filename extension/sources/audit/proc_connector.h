// The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC):
// fork, exec and exit of every task, with the host pids and the exit status
// and signal that audit records do not carry.
//
// Listening needs the initial user and pid namespace; older kernels also
// want CAP_NET_ADMIN (6.18 lets any user listen: seen with uid 65534).
// open() waits for the kernel's acknowledgement, at most
// kProcConnectorAckTimeoutMs, so a refusal is told there and not by a silent
// socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace procsql {

constexpr int kProcConnectorAckTimeoutMs = 1000;

struct ProcEvent {
	enum Kind : uint8_t { fork, exec, exit, other } kind = other;
	int64_t monotonic_ns = 0;   // the kernel's timestamp_ns (CLOCK_MONOTONIC)
	int32_t pid = 0, tgid = 0;  // fork: the child; exec/exit: the task
	int32_t parent_pid = 0, parent_tgid = 0; // fork: the caller thread/process — the kernel's
	                                         // task->real_parent, so for CLONE_THREAD (and
	                                         // CLONE_PARENT) the creator's parent, not the creator;
	                                         // exit: the parent, on kernels that send it (else 0)
	uint32_t exit_code = 0, exit_signal = 0; // exit: task->exit_code (wait status), exit_signal
	                                         // (the signal the parent gets: SIGCHLD, or -1 for threads)
};

// Parses one connector message (struct cn_msg and its data) into *out.
// Returns false for anything that is not a well-formed proc connector
// fork/exec/exit event (other event types, acknowledgements, other
// connectors, short or inconsistent lengths); never reads past `size`.
bool parse_proc_cn_msg(const uint8_t* data, size_t size, ProcEvent* out);
// The events of one datagram from the connector socket (netlink messages,
// each a cn_msg), appended to *out; returns how many.
size_t parse_proc_datagram(const uint8_t* data, size_t size, std::vector<ProcEvent>* out);

class ProcConnector {          // NETLINK_CONNECTOR, CN_IDX_PROC, PROC_CN_MCAST_LISTEN
public:
	// rcvbuf_bytes: SO_RCVBUFFORCE (SO_RCVBUF when not permitted); 0 keeps the default.
	static std::unique_ptr<ProcConnector> open(size_t rcvbuf_bytes, std::string* error);
	~ProcConnector();            // PROC_CN_MCAST_IGNORE, close
	ProcConnector(const ProcConnector&) = delete;
	ProcConnector& operator=(const ProcConnector&) = delete;

	int fd() const { return fd_; }
	// Non-blocking, all queued (at most kMaxDatagramsPerRead datagrams per
	// call: call again while it returns > 0). fork, exec and exit only;
	// ENOBUFS (events the kernel dropped for us) counted in *overruns.
	size_t read(std::vector<ProcEvent>* out, uint64_t* overruns);

	static constexpr size_t kMaxDatagramsPerRead = 4096;

private:
	explicit ProcConnector(int fd);
	bool send_op(uint32_t op, uint32_t seq);

	int fd_ = -1;
	std::vector<uint8_t> buf_;   // the acknowledgement's
	std::vector<uint8_t> batch_; // read()'s, kEventSlot per datagram
	std::vector<ProcEvent> early_; // events that came with the acknowledgement
	uint64_t early_overruns_ = 0;
};

} // namespace procsql
