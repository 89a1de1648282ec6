// Gateway routes (docs/gateway.md): how latchkeyd, used as a reverse proxy in
// front of the protected API, maps a request's method and path to an
// upstream and to the permission decision it needs. Configured in the TOML
// file as [[gateway_routes]] tables:
//
//   [[gateway_routes]]
//   method = "GET"                                  # or "*" for any method
//   path = "/api/apps/{app}/records/{id}"           # literal segments and {named} parameters
//   upstream = "http://127.0.0.1:9000"              # http:// only; an optional base path
//   action = "read_records"                         # a policy action, or "authenticated"
//   application_param = "app"                       # or application = "app_..." (fixed)
//   step = "stp_..."                                # or step_param = "..." (when the action needs
//   steps)
//
// Compilation refuses a bad route with a message naming it
// (gateway_routes[i], 0-based) and the problem, so that latchkeyd does not
// start with a gateway it cannot run.
//
// Pure (no I/O); a compiled GatewayRoute is immutable and safe to share
// between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "pipeline/route_spec.h"
#include "policy/decision.h"

namespace latchkey::gateway {

// One [[gateway_routes]] table as configured.
struct GatewayRouteSpec {
  std::string method;                       // GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or "*"
  std::string path;                         // "/api/apps/{app}/records/{id}"
  std::string upstream;                     // "http://host[:port][/base/path]"
  std::string action;                       // policy::Action wire name or "authenticated"
  std::string application;                  // fixed application id or name
  std::string application_param;            // or: the path parameter that names it
  std::string step;                         // fixed step id (actions that need steps)
  std::string step_param;                   // or: the path parameter that names it
  bool forward_authorization = false;       // pass the caller's Authorization upstream
  std::int64_t timeout_ms = 30'000;         // upstream response headers, and each body read
  std::int64_t connect_timeout_ms = 2'000;  // TCP connect to the upstream
  bool operator==(const GatewayRouteSpec&) const = default;  // config reload diffs
};

using pipeline::kAuthenticatedOnly;

// An http:// upstream: where to connect, and the path prefix to put in front
// of the request's path.
struct Upstream {
  std::string host;  // a name or an IP literal (IPv6 without brackets)
  std::uint16_t port = 80;
  std::string base_path;    // "" or "/base" (no trailing '/')
  std::string host_header;  // the Host header for the upstream: "host[:port]"

  // "host:port": connections are pooled per upstream.
  std::string key() const;
};

// kInvalidRequest unless `url` is http://host[:port][/path] (no user info,
// query or fragment). https:// is refused: TLS upstreams are not supported.
Result<Upstream> parse_upstream_url(std::string_view url);

struct GatewayRoute {
  std::size_t index = 0;             // in the configured list
  std::vector<std::string> methods;  // "*" expanded to every method
  std::string pattern;               // as configured; the http::Router pattern
  std::vector<std::string> params;   // the pattern's parameter names, in order
  Upstream upstream;
  // What the route asks the permission model (the same spec as an nginx
  // route rule's): its action, application and step, fixed or from `params`.
  pipeline::DecisionSpec decision;
  bool forward_authorization = false;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{2'000};

  bool authenticated_only() const { return decision.authenticated_only; }
  // The decision this route asks for, taking the application and step from
  // the fixed values or from the matched path parameters (`param(name)`).
  // Unused when authenticated_only().
  policy::DecisionRequest decision_request(
      const std::function<std::string_view(std::string_view)>& param) const {
    return decision.resolve(param);
  }

  // The request target for the upstream: base path + `target` (path and query).
  std::string upstream_target(std::string_view target) const;

  // "route" label of the metrics and key of the concurrency limit: "METHOD pattern"
  // (the configured method, "*" included).
  std::string label;
};

// Every route compiled, or kInvalidRequest naming the first bad one.
Result<std::vector<GatewayRoute>> compile_gateway_routes(
    const std::vector<GatewayRouteSpec>& specs);

// True for request paths that an upstream might read differently from
// latchkey, which the gateway refuses (400) rather than forward: dot
// segments ("." and ".."), empty segments ("//"), a backslash, a ';', a
// percent-escape of '/', '\\', ';' or of an unreserved character (ALPHA,
// DIGIT, '-', '.', '_', '~': "%65xport" is "export" to an upstream that
// decodes), a malformed percent-escape, and anything not starting with '/'.
bool is_ambiguous_path(std::string_view path);

}  // namespace latchkey::gateway
