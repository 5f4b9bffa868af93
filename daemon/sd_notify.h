// systemd's service notification protocol (sd_notify(3)) without libsystemd:
// what a Type=notify service sends to tell the manager it is ready, what it
// is doing, or that it is stopping.
//
// The protocol is one datagram on an AF_UNIX SOCK_DGRAM socket whose address
// the manager puts in $NOTIFY_SOCKET: a file system path ("/run/systemd/
// notify"), or, when it starts with '@', a name in Linux's abstract
// namespace. The payload is newline-separated KEY=VALUE assignments:
//
//   READY=1            start-up is finished (Type=notify waits for it)
//   STATUS=...         one line of free text for `systemctl status`
//   STOPPING=1         the service is shutting down
//   MAINPID=<pid>      the service's main process, if not the sender
//
// The manager reads the sender's credentials from the socket itself (it sets
// SO_PASSCRED), so nothing else needs to travel with the datagram.
#pragma once

#include <string>

namespace procsql {

// Sends `state` as one datagram to $NOTIFY_SOCKET. Returns true when it was
// sent, or when $NOTIFY_SOCKET is unset or empty (not run by systemd, or not
// as Type=notify: nothing to do). Returns false with a one-line *error
// (naming the socket) when the address is unusable (neither '/' nor '@' at
// its start, too long for sun_path) or the socket cannot be reached. Never
// throws. `error` may be null.
bool sd_notify_send(const std::string& state, std::string* error);

} // namespace procsql
