#include "support/test_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace latchkey::testing {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads one request from `fd` (with `buffer` holding bytes already read).
bool read_request(int fd, std::string& buffer, UpstreamRequest& out) {
  char chunk[16 * 1024];
  std::size_t end = std::string::npos;
  int recv_calls = 0;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    ++recv_calls;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  const std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  out = {};
  out.method = request_line.substr(0, sp1);
  out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t content_length = 0;
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    out.headers.emplace_back(line.substr(0, colon), value);
    if (lower(line.substr(0, colon)) == "content-length") content_length = std::stoul(value);
  }
  while (buffer.size() < content_length) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    ++recv_calls;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  out.recv_calls = recv_calls;
  out.body = buffer.substr(0, content_length);
  buffer.erase(0, content_length);
  return true;
}

constexpr std::size_t kBigPiece = 10'000;

// Bytes [at, at + len) of the /big/N body.
std::string body_piece(std::size_t at, std::size_t len) {
  std::string out(len, '\0');
  for (std::size_t i = 0; i < len; ++i) {
    const std::size_t k = at + i;
    out[i] = static_cast<char>('a' + (k * 7 + k / 4096) % 26);
  }
  return out;
}

std::string common_headers() {
  return "X-Upstream: test\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nServer: test-upstream\r\n"
         "RateLimit-Limit: 1000\r\nRateLimit-Remaining: 999\r\nRateLimit-Reset: 7\r\n"
         "RateLimit-Policy: 1000;w=60\r\n";
}

std::string echo(const UpstreamRequest& r) {
  std::string body = "method=" + r.method + "\ntarget=" + r.target + "\n";
  for (const auto& [name, value] : r.headers) body += "h:" + lower(name) + "=" + value + "\n";
  body += "body=" + r.body + "\n";
  return body;
}

std::string fixed_response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\n" +
         common_headers() + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

std::string UpstreamRequest::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (lower(n) == lower(name)) return v;
  }
  return "";
}

bool UpstreamRequest::has_header(const std::string& name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == lower(name); });
}

std::string TestUpstream::body_pattern(std::size_t n) { return body_piece(0, n); }

TestUpstream::TestUpstream() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    throw std::runtime_error("test upstream: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestUpstream::~TestUpstream() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  const std::uint64_t many = 1'000'000;
  (void)!::write(wake_fd_, &many, sizeof many);
  cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void TestUpstream::accept_loop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mu_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    ++connections_;
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool TestUpstream::hold(int fd) {
  {
    std::lock_guard lock(mu_);
    ++held_;
  }
  cv_.notify_all();
  bool peer_alive = true;
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN | POLLRDHUP, 0}, {wake_fd_, POLLIN, 0}};
    ::poll(fds, 2, -1);
    if (fds[1].revents != 0) {
      std::uint64_t unit = 0;
      if (::read(wake_fd_, &unit, sizeof unit) == sizeof unit) break;  // released (one unit)
      std::lock_guard lock(mu_);
      if (stopping_) break;
      continue;  // another held request took the unit
    }
    char byte = 0;
    if (::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
      peer_alive = false;
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    --held_;
    if (!peer_alive) ++abandoned_;
  }
  cv_.notify_all();
  return peer_alive;
}

void TestUpstream::serve(int fd) {
  std::string buffer;
  UpstreamRequest request;
  int served = 0;  // requests read on this connection
  while (read_request(fd, buffer, request)) {
    ++served;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    cv_.notify_all();
    const std::string& target = request.target;
    std::string response;
    if (target.starts_with("/hold/")) {
      if (!hold(fd)) break;
      response = fixed_response(200, echo(request));
    } else if (target.starts_with("/big/")) {
      // Chunked, written piece by piece: a body of any size costs no memory.
      const std::size_t n = std::stoul(target.substr(5));
      bool ok = send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
                                 common_headers() + "Transfer-Encoding: chunked\r\n\r\n");
      for (std::size_t at = 0; ok && at < n; at += kBigPiece) {
        const std::size_t len = std::min(kBigPiece, n - at);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", len);
        ok = send_all(fd, size + body_piece(at, len) + "\r\n");
      }
      if (!ok || !send_all(fd, "0\r\n\r\n")) break;
      continue;
    } else if (target.starts_with("/sized/")) {
      // Content-Length, head and body in one write.
      const std::size_t n = std::stoul(target.substr(7));
      response = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
                 common_headers() + "Content-Length: " + std::to_string(n) + "\r\n\r\n" +
                 body_piece(0, n);
    } else if (target.starts_with("/close/")) {
      // Says so, answers, closes.
      const std::string body = echo(request);
      send_all(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n" + common_headers() +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      break;
    } else if (target.starts_with("/drop/")) {
      // Answers as if keeping the connection, then closes it without a word.
      send_all(fd, fixed_response(200, echo(request)));
      break;
    } else if (target.starts_with("/early/")) {
      // An interim 103 on its own, then the answer.
      if (!send_all(fd, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")) break;
      response = fixed_response(200, echo(request));
    } else if (target.starts_with("/continue/")) {
      // Two interim responses and the answer in one write.
      response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b>\r\n\r\n" +
                 fixed_response(200, echo(request));
      if (!send_all(fd, response)) break;
      continue;
    } else if (target.starts_with("/switch/")) {
      // Switches protocols, then keeps the connection open as if it could
      // serve HTTP again.
      if (!send_all(fd,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\n\r\n")) {
        break;
      }
      continue;
    } else if (target.starts_with("/nolength/")) {
      // Chunked: no Content-Length, not even in the answer to HEAD.
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + common_headers() +
                         "Transfer-Encoding: chunked\r\n\r\n";
      if (request.method != "HEAD") head += "5\r\nhello\r\n0\r\n\r\n";
      if (!send_all(fd, head)) break;
      continue;
    } else if (target.starts_with("/vanish/") && served > 1) {
      break;  // a kept-alive connection closed under the request: no answer
    } else if (target.starts_with("/split/")) {
      // Half a chunked body with the head; the rest once released.
      if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + common_headers() +
                            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")) {
        break;
      }
      if (!hold(fd) || !send_all(fd, "6\r\n world\r\n0\r\n\r\n")) break;
      continue;
    } else if (target.starts_with("/badchunk/")) {
      if (!send_all(fd, "HTTP/1.1 200 OK\r\n" + common_headers() +
                            "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")) {
        break;
      }
      continue;
    } else if (target.starts_with("/status/")) {
      response = fixed_response(std::stoi(target.substr(8, 3)), "status body\n");
    } else {
      response = fixed_response(200, echo(request));
    }
    if (request.method == "HEAD") response.resize(response.find("\r\n\r\n") + 4);  // no body
    if (!send_all(fd, response)) break;
  }
  {
    std::lock_guard lock(mu_);
    fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
    ::close(fd);
    ++closed_;
  }
  cv_.notify_all();
}

std::vector<UpstreamRequest> TestUpstream::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int TestUpstream::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

int TestUpstream::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

bool TestUpstream::wait_held(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return held_ >= n; });
}

bool TestUpstream::wait_requests(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return static_cast<int>(requests_.size()) >= n; });
}

bool TestUpstream::wait_closed(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return closed_ >= n; });
}

bool TestUpstream::wait_abandoned(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return abandoned_ >= n; });
}

void TestUpstream::release(int n) {
  const std::uint64_t units = static_cast<std::uint64_t>(n);
  (void)!::write(wake_fd_, &units, sizeof units);
}

}  // namespace latchkey::testing
