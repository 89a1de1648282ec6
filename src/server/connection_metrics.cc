#include "server/connection_metrics.h"

#include <array>
#include <string_view>

#include "http/server.h"
#include "metrics/metrics.h"

namespace latchkey::server {
namespace {

constexpr std::array<std::string_view, 7> kNames = {
    "latchkey_http_open_connections",
    "latchkey_http_client_addresses",
    "latchkey_http_connections_accepted_total",
    "latchkey_http_connections_refused_server_full_total",
    "latchkey_http_connections_refused_client_full_total",
    "latchkey_http_accept_errors_total",
    "latchkey_http_connections_refused_unanswered_total"};

}  // namespace

void register_connection_metrics(const http::Server& server) {
  auto& r = metrics::default_registry();
  auto d = [](auto v) { return static_cast<double>(v); };
  r.gauge_callback(std::string(kNames[0]), "Client connections open (counted against the caps).",
                   [&server, d] { return d(server.connection_stats().open); });
  r.gauge_callback(std::string(kNames[1]), "Distinct client addresses with a connection open.",
                   [&server, d] { return d(server.connection_stats().clients); });
  r.counter_callback(std::string(kNames[2]), "Client connections admitted under the caps.",
                     [&server, d] { return d(server.connection_stats().admitted); });
  r.counter_callback(std::string(kNames[3]),
                     "Connections refused with 503 because max_connections were open.",
                     [&server, d] { return d(server.connection_stats().refused_server); });
  r.counter_callback(std::string(kNames[4]),
                     "Connections refused with 503 because their address had "
                     "max_connections_per_client open.",
                     [&server, d] { return d(server.connection_stats().refused_client); });
  r.counter_callback(std::string(kNames[5]),
                     "accept() failures (EMFILE: out of file descriptors, ...).",
                     [&server, d] { return d(server.connection_stats().accept_errors); });
  r.counter_callback(std::string(kNames[6]),
                     "Refused connections closed without their 503: too many refusals in flight.",
                     [&server, d] { return d(server.connection_stats().refused_unanswered); });
}

void unregister_connection_metrics() {
  for (auto name : kNames) metrics::default_registry().remove_callback(name);
}

}  // namespace latchkey::server
