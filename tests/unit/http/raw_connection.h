// A raw HTTP/1.1 client for the server tests: POSIX sockets on 127.0.0.1, to
// send exactly the bytes a test needs (including broken ones) and to read
// responses framed by Content-Length, chunked encoding or the end of the
// connection. Every wait has a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace latchkey::http {

struct RawResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  std::size_t chunks = 0;  // data chunks, when the body was chunked

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& h : headers) {
      if (iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// A blocking client socket with deadlines; keeps unread bytes between
// responses so that pipelined answers can be read one by one.
class RawConnection {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // receive_buffer > 0: SO_RCVBUF before connecting (a slow reader's window).
  // source_ip: bind to this local address first (another loopback address,
  // such as 127.0.0.2, is another client to the server).
  explicit RawConnection(std::uint16_t port, int receive_buffer = 0,
                         const char* source_ip = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    if (source_ip != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source_ip, &local.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One whole response, or nullopt when the connection ends or the deadline
  // passes first. head: the answer to a HEAD request (no body follows).
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = kDefaultTimeout,
                                           bool head = false) {
    const auto deadline = SteadyClock::now() + timeout;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse response;
    std::istringstream head_lines(buffer_.substr(0, header_end));
    std::string line;
    std::getline(head_lines, line);
    if (line.size() < 12 || !line.starts_with("HTTP/1.")) return std::nullopt;
    response.status = std::stoi(line.substr(9, 3));
    std::size_t length = 0;
    bool chunked = false;
    while (std::getline(head_lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      Header h{line.substr(0, colon), line.substr(line.find_first_not_of(' ', colon + 1))};
      if (iequals(h.name, "Content-Length")) length = std::stoul(h.value);
      if (iequals(h.name, "Transfer-Encoding") && iequals(h.value, "chunked")) chunked = true;
      response.headers.push_back(std::move(h));
    }
    buffer_.erase(0, header_end + 4);
    if (head) return response;
    if (!chunked) {
      while (buffer_.size() < length) {
        if (!fill(deadline)) return std::nullopt;
      }
      response.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return response;
    }
    for (;;) {  // chunked: "<hex>\r\n<data>\r\n" ... "0\r\n\r\n" (no trailers)
      std::size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!fill(deadline)) return std::nullopt;
      }
      const std::size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
      while (buffer_.size() < line_end + 2 + size + 2) {
        if (!fill(deadline)) return std::nullopt;
      }
      if (buffer_.compare(line_end + 2 + size, 2, "\r\n") != 0) return std::nullopt;
      response.body += buffer_.substr(line_end + 2, size);
      buffer_.erase(0, line_end + 2 + size + 2);
      if (size == 0) return response;
      ++response.chunks;
    }
  }

  // Everything until the server closes the connection, or nullopt when the
  // deadline passes first.
  std::optional<std::string> read_until_closed(
      std::chrono::milliseconds timeout = kDefaultTimeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (fill(deadline)) {
    }
    if (!closed_) return std::nullopt;
    return std::exchange(buffer_, std::string());
  }

  // Reads at most `max` bytes (waiting for at least one); 0 at the end of
  // the stream or the deadline. The bytes are dropped.
  std::size_t discard_some(std::size_t max, std::chrono::milliseconds timeout = kDefaultTimeout) {
    if (!buffer_.empty()) {
      const std::size_t n = std::min(max, buffer_.size());
      buffer_.erase(0, n);
      return n;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
    std::string chunk(max, '\0');
    const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

  // True when the server closes the connection within the timeout.
  bool wait_closed(std::chrono::milliseconds timeout = kDefaultTimeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (fill(deadline)) {
    }
    return closed_;
  }

 private:
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};

  // Reads more bytes; false on end of stream, error or deadline.
  bool fill(SteadyClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

inline std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

inline std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace latchkey::http
