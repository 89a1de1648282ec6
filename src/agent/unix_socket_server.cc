#include "agent/unix_socket_server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "agent/agent_http.h"

namespace latchkey::agent {
namespace {

constexpr int kRequestDeadlineMs = 2000;

client::ClientError socket_error(const std::string& path, const std::string& what, int err = 0) {
  std::string description = "socket " + path + ": " + what;
  if (err != 0) description += ": " + std::string(std::strerror(err));
  return client::ClientError{.kind = client::ErrorKind::kUsage, .description = description};
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// True when a process accepts connections on the socket at `path`.
bool someone_listens(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_un address = address_of(path);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader went away
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

client::Result<std::unique_ptr<UnixSocketServer>> UnixSocketServer::open(
    const SocketConfig& config, ConnectionHandler handler) {
  const std::string& path = config.path;
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return std::unexpected(socket_error(path, "the path is empty or too long"));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return std::unexpected(socket_error(path, "exists and is not a socket; not replacing it"));
    }
    if (someone_listens(path)) {
      return std::unexpected(
          socket_error(path, "another process (an agent already running?) listens on it"));
    }
    ::unlink(path.c_str());  // stale, from a process that did not clean up
  }
  std::optional<gid_t> group;
  if (!config.group.empty()) {
    const struct group* entry = ::getgrnam(config.group.c_str());
    if (entry == nullptr) {
      return std::unexpected(socket_error(path, "no such group \"" + config.group + "\""));
    }
    group = entry->gr_gid;
  }

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(socket_error(path, "cannot create a socket", errno));
  const sockaddr_un address = address_of(path);
  // Created without any access for group and others, then opened up to the
  // configured mode: never more open than asked, not even for a moment.
  // (The umask is process-wide: open() runs before the agent starts threads.)
  const mode_t old_umask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) {
    ::close(fd);
    return std::unexpected(socket_error(path, "cannot bind", bind_errno));
  }
  const auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return std::unexpected(socket_error(path, what, err));
  };
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return fail("cannot give it group \"" + config.group +
                "\" (the agent's user must be a member of it)");
  }
  if (::chmod(path.c_str(), config.mode) != 0) return fail("cannot set its mode");
  if (::listen(fd, 64) != 0) return fail("cannot listen");
  if (::lstat(path.c_str(), &st) != 0) return fail("cannot stat");
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return fail("cannot create a pipe");
  return std::unique_ptr<UnixSocketServer>(
      new UnixSocketServer(path, fd, wake[0], wake[1], st.st_ino, std::move(handler)));
}

UnixSocketServer::UnixSocketServer(std::string path, int listen_fd, int wake_read, int wake_write,
                                   ino_t inode, ConnectionHandler handler)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      inode_(inode),
      handler_(std::move(handler)) {}

UnixSocketServer::~UnixSocketServer() { stop(); }

void UnixSocketServer::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { serve(); });
}

void UnixSocketServer::stop() {
  if (listen_fd_ < 0) return;
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!::write(wake_write_, &byte, 1);
    thread_.join();
  }
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
  listen_fd_ = wake_read_ = wake_write_ = -1;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode_) {
    ::unlink(path_.c_str());
  }
}

void UnixSocketServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EMFILE, ECONNABORTED...: try the next one
    serve_connection(fd);
    ::close(fd);
  }
}

void UnixSocketServer::serve_connection(int fd) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kRequestDeadlineMs);
  std::string received;
  bool complete = false;
  char buffer[2048];
  while (!complete && received.size() <= kMaxRequestHeadBytes) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return;  // too slow: close without an answer
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
    const std::size_t end = received.find("\r\n\r\n");
    if (end != std::string::npos) {
      received.resize(end + 4);  // a body is neither expected nor read
      complete = true;
    }
  }
  if (!complete && received.empty()) return;
  send_all(fd, handler_(received, complete));
}

}  // namespace latchkey::agent
