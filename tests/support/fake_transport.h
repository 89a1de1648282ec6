// A scripted client::Transport for tests of the client library and the CLI:
// every request is recorded, and a handler supplied by the test decides the
// answer. No sockets. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "latchkey/client/transport.h"

namespace latchkey::testing {

class FakeTransport final : public client::Transport {
 public:
  using Handler = std::function<client::Result<client::HttpResponse>(const client::HttpRequest&)>;

  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}

  client::Result<client::HttpResponse> send(const client::HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    return handler(request);
  }

  void set_handler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }

  std::vector<client::HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // How many requests had this method and a URL ending in `path`.
  std::size_t count(const std::string& method, const std::string& path) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& request : requests_) {
      if (request.method == method && request.url.ends_with(path)) ++n;
    }
    return n;
  }

  static client::HttpResponse json(int status, std::string body) {
    return client::HttpResponse{.status = status,
                                .headers = {{"Content-Type", "application/json"}},
                                .body = std::move(body)};
  }

 private:
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<client::HttpRequest> requests_;
};

// The Authorization header of `request`, or "".
inline std::string authorization_of(const client::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") return value;
  }
  return {};
}

}  // namespace latchkey::testing
