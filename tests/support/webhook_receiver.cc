#include "support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace latchkey::testing {
namespace {

int listen_on(int port, int* bound_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  *bound_port = ntohs(addr.sin_port);
  return fd;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads one request (head, then Content-Length bytes of body) from `fd`.
bool read_request(int fd, ReceivedWebhook& out) {
  std::string data;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  std::size_t length = 0;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t line_end = data.find("\r\n");
        const std::string request_line = data.substr(0, line_end);
        const auto sp1 = request_line.find(' ');
        const auto sp2 = request_line.find(' ', sp1 + 1);
        out.method = request_line.substr(0, sp1);
        out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t at = line_end + 2;
        while (at < head_end) {
          const std::size_t end = data.find("\r\n", at);
          const std::string line = data.substr(at, end - at);
          const auto colon = line.find(':');
          if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            out.headers.emplace_back(line.substr(0, colon), value);
            if (lower(line.substr(0, colon)) == "content-length") {
              length = std::strtoul(value.c_str(), nullptr, 10);
            }
          }
          at = end + 2;
        }
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + length) {
      out.body = data.substr(head_end + 4, length);
      return true;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string ReceivedWebhook::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (lower(n) == lower(name)) return v;
  }
  return "";
}

WebhookReceiver::WebhookReceiver(int port, std::vector<int> statuses)
    : statuses_(std::move(statuses)) {
  listen_fd_ = listen_on(port, &port_);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (listen_fd_ >= 0) thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  const std::uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof one) < 0) {
    // The thread also stops when the listening socket goes away.
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::close(wake_fd_);
}

int WebhookReceiver::unused_port() {
  int port = 0;
  const int fd = listen_on(0, &port);
  if (fd >= 0) ::close(fd);
  return port;
}

std::vector<ReceivedWebhook> WebhookReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool WebhookReceiver::wait_requests(std::size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return requests_.size() >= n; });
}

void WebhookReceiver::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ReceivedWebhook request;
    if (read_request(fd, request)) {
      {
        std::lock_guard lock(mu_);
        const std::size_t index = requests_.size();
        request.answered = index < statuses_.size() ? statuses_[index] : 200;
      }
      const std::string response = "HTTP/1.1 " + std::to_string(request.answered) +
                                   " Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(request));
      }
      cv_.notify_all();
    }
    ::close(fd);
  }
}

}  // namespace latchkey::testing
