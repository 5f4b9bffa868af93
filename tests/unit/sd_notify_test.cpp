// Unit tests for procsql::sd_notify_send (daemon/sd_notify.h), systemd's
// notify protocol: a real AF_UNIX datagram socket stands in for the service
// manager, bound to a file system path in a temporary directory or to a name
// in the abstract namespace; what it receives must be exactly the bytes sent,
// as one datagram. An unset $NOTIFY_SOCKET sends nothing; an unusable one
// gives false and one line naming it.
#include "sd_notify.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <optional>
#include <random>
#include <string>

using procsql::sd_notify_send;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one test and
// puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A temporary directory removed with its contents at the end of a test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/procsql_sd_notify_XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (!made) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = made ? made : "/nonexistent";
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The service manager's end: a non-blocking datagram socket bound to
// `address` (a path, or '@' and an abstract name, bound without a trailing
// NUL as systemd binds its own).
class Receiver {
 public:
  explicit Receiver(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
      ADD_FAILURE() << "socket: " << std::strerror(errno);
      return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address.size() >= sizeof(addr.sun_path)) {
      ADD_FAILURE() << "test address too long: " << address;
      return;
    }
    std::memcpy(addr.sun_path, address.data(), address.size());
    socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + address.size());
    if (address[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      len += 1;  // the path's NUL
    }
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
      ADD_FAILURE() << "bind " << address << ": " << std::strerror(errno);
    }
  }
  ~Receiver() {
    if (fd_ >= 0) ::close(fd_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The next datagram whole, or nullopt when none is queued. A datagram to a
  // local AF_UNIX socket is queued before sendto() returns, so no waiting.
  std::optional<std::string> next() {
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
      return std::nullopt;
    }
    EXPECT_LE(size_t(n), sizeof(buf)) << "datagram truncated";
    return std::string(buf, std::min(size_t(n), sizeof(buf)));
  }

 private:
  int fd_ = -1;
};

std::string unique_name() {
  std::random_device rd;
  return "procsql-sd-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

const std::string kState = "READY=1\nSTATUS=collecting (ebpf)\nMAINPID=" + std::to_string(::getpid());

}  // namespace

TEST(SdNotify, PathSocketGetsExactlyTheStateAsOneDatagram) {
  TempDir dir;
  const std::string path = dir.path() + "/notify";
  Receiver manager(path);
  ScopedEnv env("NOTIFY_SOCKET", path);
  const int fds = open_fds();

  std::string error = "untouched";
  ASSERT_TRUE(sd_notify_send(kState, &error)) << error;
  EXPECT_EQ(error, "untouched");
  EXPECT_EQ(manager.next(), kState);
  EXPECT_EQ(manager.next(), std::nullopt) << "more than one datagram";

  ASSERT_TRUE(sd_notify_send("STOPPING=1", nullptr));
  EXPECT_EQ(manager.next(), "STOPPING=1");
  EXPECT_EQ(open_fds(), fds) << "the sending socket was not closed";
}

TEST(SdNotify, StateBytesAreSentAsIs) {
  // Newlines, a trailing newline, bytes above 0x7F and an embedded NUL: the
  // payload is bytes, sent with their count, not a C string.
  TempDir dir;
  const std::string path = dir.path() + "/notify";
  Receiver manager(path);
  ScopedEnv env("NOTIFY_SOCKET", path);
  const std::string state = std::string("STATUS=caf\xC3\xA9\n", 13) + std::string("X=a\0b\n", 6);
  std::string error;
  ASSERT_TRUE(sd_notify_send(state, &error)) << error;
  EXPECT_EQ(manager.next(), state);
}

TEST(SdNotify, AbstractSocketGetsExactlyTheState) {
  // The receiver is bound to the name without a trailing NUL, as systemd
  // binds; had the sender counted a NUL in the address length it would have
  // named another socket and got ECONNREFUSED.
  const std::string address = "@" + unique_name();
  Receiver manager(address);
  ScopedEnv env("NOTIFY_SOCKET", address);
  std::string error;
  ASSERT_TRUE(sd_notify_send(kState, &error)) << error;
  EXPECT_EQ(manager.next(), kState);
  EXPECT_EQ(manager.next(), std::nullopt);
}

TEST(SdNotify, AbstractNameOfTheFullSunPathLength) {
  // 107 bytes after '@': with the leading NUL it fills sun_path exactly.
  std::string address = "@" + unique_name();
  address.resize(sizeof(sockaddr_un::sun_path), 'x');
  // Receiver can't use its generic bind for this length; bind by hand.
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, address.data() + 1, address.size() - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  ScopedEnv env("NOTIFY_SOCKET", address);
  std::string error;
  EXPECT_TRUE(sd_notify_send("READY=1", &error)) << error;
  char buf[64];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "READY=1");
  ::close(fd);
}

TEST(SdNotify, UnsetOrEmptyDoesNothing) {
  TempDir dir;
  const std::string path = dir.path() + "/notify";
  Receiver manager(path);
  for (const std::optional<std::string>& value : {std::optional<std::string>(), std::optional<std::string>("")}) {
    SCOPED_TRACE(value ? "empty" : "unset");
    ScopedEnv env("NOTIFY_SOCKET", value);
    std::string error = "untouched";
    EXPECT_TRUE(sd_notify_send("READY=1", &error));
    EXPECT_EQ(error, "untouched");
    EXPECT_TRUE(sd_notify_send("READY=1", nullptr));
  }
  EXPECT_EQ(manager.next(), std::nullopt);
}

TEST(SdNotify, PathTooLongFails) {
  const std::string path = "/tmp/" + std::string(200, 'p');
  ScopedEnv env("NOTIFY_SOCKET", path);
  std::string error;
  EXPECT_FALSE(sd_notify_send("READY=1", &error));
  EXPECT_NE(error.find("NOTIFY_SOCKET="), std::string::npos) << error;
  EXPECT_NE(error.find("205 bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("sun_path"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;

  // The longest path sun_path holds with its NUL is 107 bytes; 108 is too long.
  const std::string limit = "/" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'q');
  ScopedEnv env2("NOTIFY_SOCKET", limit);
  EXPECT_FALSE(sd_notify_send("READY=1", &error));
  EXPECT_NE(error.find("sun_path"), std::string::npos) << error;

  EXPECT_FALSE(sd_notify_send("READY=1", nullptr));  // no error string: still no crash
}

TEST(SdNotify, AbstractNameTooLongFails) {
  const std::string address = "@" + std::string(sizeof(sockaddr_un::sun_path), 'a');  // 109 bytes
  ScopedEnv env("NOTIFY_SOCKET", address);
  std::string error;
  EXPECT_FALSE(sd_notify_send("READY=1", &error));
  EXPECT_NE(error.find("sun_path"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(SdNotify, MissingSocketFailsNamingThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/no-such-socket";
  ScopedEnv env("NOTIFY_SOCKET", path);
  const int fds = open_fds();
  std::string error;
  EXPECT_FALSE(sd_notify_send("READY=1", &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(open_fds(), fds) << "the sending socket was not closed";
}

TEST(SdNotify, AbstractNameNobodyBoundFails) {
  const std::string address = "@" + unique_name();
  ScopedEnv env("NOTIFY_SOCKET", address);
  std::string error;
  EXPECT_FALSE(sd_notify_send("READY=1", &error));
  EXPECT_NE(error.find(address), std::string::npos) << error;
}

TEST(SdNotify, NeitherPathNorAbstractNameFails) {
  for (const char* value : {"relative/notify", "@", "vsock:2:1234"}) {
    SCOPED_TRACE(value);
    ScopedEnv env("NOTIFY_SOCKET", value);
    std::string error;
    EXPECT_FALSE(sd_notify_send("READY=1", &error));
    EXPECT_NE(error.find(std::string("NOTIFY_SOCKET=") + value), std::string::npos) << error;
  }
}
