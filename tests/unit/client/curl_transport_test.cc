#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "latchkey/client/transport.h"

namespace latchkey::client {
namespace {

// A one-connection HTTP server on 127.0.0.1, port 0: records the raw
// request and answers `response` verbatim.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 1);
    socklen_t length = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(fd_);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Valid once the transport call has returned.
  const std::string& request() const { return request_; }

 private:
  void serve() {
    const int connection = ::accept(fd_, nullptr, nullptr);
    if (connection < 0) return;
    char buffer[4096];
    while (true) {
      const auto head_end = request_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t body_length = 0;
        if (const auto at = request_.find("Content-Length: "); at != std::string::npos) {
          body_length = std::stoul(request_.substr(at + 16));
        }
        if (request_.size() >= head_end + 4 + body_length) break;
      }
      const ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) break;
      request_.append(buffer, static_cast<std::size_t>(n));
    }
    if (::write(connection, response_.data(), response_.size()) < 0) request_ += "<write failed>";
    ::close(connection);
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

// Test that the curl transport sends method, headers and body, and returns
// status, headers and body of a non-2xx answer without treating it as a failure.
TEST(CurlTransport, RoundTripsARequest) {
  OneShotServer server(
      "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nX-Request-Id: abc\r\n"
      "Content-Length: 20\r\nConnection: close\r\n\r\n{\"error\":\"conflict\"}");
  auto transport = make_curl_transport();
  auto response = transport->send({.method = "PATCH",
                                   .url = server.url("/api/v1/users/usr_1"),
                                   .headers = {{"Authorization", "Bearer lk_at_x"}},
                                   .body = R"({"disabled":true})"});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 409);
  EXPECT_EQ(response->header("x-request-id"), "abc");
  EXPECT_EQ(response->body, "{\"error\":\"conflict\"}");
  EXPECT_TRUE(server.request().starts_with("PATCH /api/v1/users/usr_1 HTTP/1.1\r\n"));
  EXPECT_NE(server.request().find("Authorization: Bearer lk_at_x\r\n"), std::string::npos);
  EXPECT_TRUE(server.request().ends_with("\r\n\r\n{\"disabled\":true}"));
}

// Test that a POST without a body still sends Content-Length: 0.
TEST(CurlTransport, EmptyPostSendsZeroLength) {
  OneShotServer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  auto response = make_curl_transport()->send({.method = "POST", .url = server.url("/t")});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 204);
  EXPECT_NE(server.request().find("Content-Length: 0\r\n"), std::string::npos);
}

// Test that an unreachable server is a transport error naming only the origin.
TEST(CurlTransport, ConnectionRefusedIsATransportError) {
  // Reserve a free port, then close it so that nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x?q=1";
  auto response = make_curl_transport()->send({.method = "GET", .url = url});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransport);
  EXPECT_NE(response.error().description.find("cannot reach http://127.0.0.1:"), std::string::npos)
      << response.error().description;
  EXPECT_EQ(response.error().description.find("q=1"), std::string::npos);
}

// Test that schemes other than http and https are refused.
TEST(CurlTransport, RefusesOtherSchemes) {
  auto response = make_curl_transport()->send({.method = "GET", .url = "file:///etc/passwd"});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransport);
}

}  // namespace
}  // namespace latchkey::client
