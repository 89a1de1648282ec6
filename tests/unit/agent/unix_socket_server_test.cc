#include "agent/unix_socket_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "temp_dir.h"

namespace latchkey::agent {
namespace {

using testing::TempDir;

// Sends `request` on a new connection to `path` and returns everything read
// until the server closes.
std::string round_trip(const std::string& path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed: " + std::string(std::strerror(errno));
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buffer[1024];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) out.append(buffer, n);
  ::close(fd);
  return out;
}

ConnectionHandler echo_handler() {
  return [](std::string_view received, bool complete) {
    return std::string(complete ? "complete:" : "partial:") + std::string(received);
  };
}

// Test that the socket is created with mode 0600, serves requests, and is
// removed by stop().
TEST(UnixSocketServerTest, ServesAndCleansUp) {
  TempDir dir;
  const std::string path = dir.path() + "/agent.sock";
  auto server = UnixSocketServer::open(SocketConfig{.path = path}, echo_handler());
  ASSERT_TRUE(server.has_value()) << server.error().description;
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  (*server)->start();
  EXPECT_EQ(round_trip(path, "GET /token HTTP/1.1\r\n\r\n"),
            "complete:GET /token HTTP/1.1\r\n\r\n");
  // A request cut short by the client still gets an answer.
  EXPECT_EQ(round_trip(path, "GET /tok"), "partial:GET /tok");
  (*server)->stop();
  EXPECT_NE(::lstat(path.c_str(), &st), 0);
}

// Test mode 0660: group members may connect.
TEST(UnixSocketServerTest, GroupMode) {
  TempDir dir;
  const std::string path = dir.path() + "/agent.sock";
  auto server = UnixSocketServer::open(SocketConfig{.path = path, .mode = 0660}, echo_handler());
  ASSERT_TRUE(server.has_value()) << server.error().description;
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  auto unknown = UnixSocketServer::open(
      SocketConfig{.path = dir.path() + "/b.sock", .mode = 0660, .group = "no-such-group-lk"},
      echo_handler());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().description.find("no such group"), std::string::npos);
}

// Test that a second agent cannot take over a socket another one serves,
// while a stale socket left by a crash is replaced.
TEST(UnixSocketServerTest, RefusesALiveSocketAndReplacesAStaleOne) {
  TempDir dir;
  const std::string path = dir.path() + "/agent.sock";
  auto first = UnixSocketServer::open(SocketConfig{.path = path}, echo_handler());
  ASSERT_TRUE(first.has_value());
  (*first)->start();
  auto second = UnixSocketServer::open(SocketConfig{.path = path}, echo_handler());
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().description.find("listens on it"), std::string::npos);

  // A socket file nobody listens on (bound, then closed without unlink).
  const std::string stale = dir.path() + "/stale.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, stale.c_str(), stale.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  auto replaced = UnixSocketServer::open(SocketConfig{.path = stale}, echo_handler());
  ASSERT_TRUE(replaced.has_value()) << replaced.error().description;
  (*replaced)->start();
  EXPECT_TRUE(round_trip(stale, "GET / HTTP/1.1\r\n\r\n").starts_with("complete:"));

  // A regular file is never replaced.
  const std::string file = dir.write("not-a-socket", "data");
  auto refused = UnixSocketServer::open(SocketConfig{.path = file}, echo_handler());
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().description.find("is not a socket"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::agent
