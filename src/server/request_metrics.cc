#include "server/request_metrics.h"

#include <iterator>
#include <string>
#include <unordered_map>

#include "metrics/metrics.h"

namespace latchkey::server {
namespace {

struct RouteMetrics {
  metrics::Counter* requests;
  metrics::Histogram* latency;
};

metrics::Family<metrics::Counter>& requests_family() {
  static auto& family = metrics::default_registry().counter_family(
      "latchkey_http_requests_total", "HTTP requests answered, by route pattern and status.",
      {"route", "method", "status"});
  return family;
}

metrics::Family<metrics::Histogram>& latency_family() {
  static auto& family = metrics::default_registry().histogram_family(
      "latchkey_http_request_seconds",
      "Time from a request's first byte to its response being handed to the socket.", {"route"});
  return family;
}

constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                         "PATCH", "DELETE", "OPTIONS"};

// Unknown methods are folded into "other", so a client cannot grow the label set.
std::size_t method_index(std::string_view method) {
  for (std::size_t i = 0; i < std::size(kMethods); ++i) {
    if (method == kMethods[i]) return i;
  }
  return std::size(kMethods);
}

void observe(const http::RequestObservation& o) {
  // Route patterns are owned by the router, so their addresses identify
  // them; with method and status they make a small integer-like key.
  struct Key {
    const char* route;
    std::size_t method;
    int status;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>{}(k.route) ^ (k.method << 12) ^
             (static_cast<std::size_t>(k.status) << 16);
    }
  };
  thread_local std::unordered_map<Key, RouteMetrics, KeyHash> cache;
  const Key key{o.route.data(), method_index(o.method), o.status};
  auto it = cache.find(key);
  if (it == cache.end()) {
    const std::string route = o.route.empty() ? std::string("unmatched") : std::string(o.route);
    const std::string method =
        key.method < std::size(kMethods) ? std::string(kMethods[key.method]) : "other";
    RouteMetrics m{&requests_family().with({route, method, std::to_string(o.status)}),
                   &latency_family().with({route})};
    it = cache.emplace(key, m).first;
  }
  it->second.requests->inc();
  it->second.latency->observe(std::chrono::duration<double>(o.duration).count());
}

}  // namespace

std::function<void(const http::RequestObservation&)> request_metrics_observer() {
  requests_family();  // registered at start, so /metrics lists them before traffic
  latency_family();
  return observe;
}

}  // namespace latchkey::server
