#include "gateway/route_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "core/encoding.h"

namespace latchkey::gateway {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};
constexpr std::int64_t kMaxTimeoutMs = 3'600'000;       // one hour
constexpr std::int64_t kMaxConnectTimeoutMs = 600'000;  // ten minutes

// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

Result<GatewayRoute> compile_one(const GatewayRouteSpec& spec, std::size_t index) {
  const std::string where = "gateway_routes[" + std::to_string(index) + "]: ";
  auto bad = [&](const std::string& what) { return fail(Error::invalid_request(where + what)); };
  GatewayRoute route;
  route.index = index;

  if (spec.method == "*") {
    route.methods.assign(kMethods.begin(), kMethods.end());
  } else if (std::find(kMethods.begin(), kMethods.end(), spec.method) != kMethods.end()) {
    route.methods.push_back(spec.method);
  } else {
    return bad("method \"" + spec.method +
               "\" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or \"*\"");
  }

  auto pattern = pipeline::PathPattern::compile(spec.path, {});
  if (!pattern) return bad(pattern.error().description);
  route.params = pattern->params();
  route.pattern = spec.path;
  route.label = spec.method + " " + spec.path;

  auto upstream = parse_upstream_url(spec.upstream);
  if (!upstream) return bad(upstream.error().description);
  route.upstream = std::move(*upstream);

  if (!spec.step.empty() && !spec.step_param.empty()) {
    return bad("set step or step_param, not both");
  }
  pipeline::DecisionSpecInput input{spec.action, spec.application, spec.application_param,
                                    {},          spec.step_param,  false};
  if (!spec.step.empty()) input.steps = {spec.step};
  auto decision = pipeline::compile_decision_spec(input, *pattern);
  if (!decision) return bad(decision.error().description);
  route.decision = std::move(*decision);
  route.forward_authorization = spec.forward_authorization;

  if (spec.timeout_ms < 1 || spec.timeout_ms > kMaxTimeoutMs) {
    return bad("timeout_ms must be between 1 and 3600000");
  }
  if (spec.connect_timeout_ms < 1 || spec.connect_timeout_ms > kMaxConnectTimeoutMs) {
    return bad("connect_timeout_ms must be between 1 and 600000");
  }
  route.timeout = std::chrono::milliseconds(spec.timeout_ms);
  route.connect_timeout = std::chrono::milliseconds(spec.connect_timeout_ms);
  return route;
}

// Whether the escape at `at` is the lead byte of an overlong UTF-8 form
// ("%C0%AE" is "." and "%E0%80%AF" is "/" to a lenient decoder): %C0 and
// %C1 always, %E0 before an escaped 0x80-0x9F, %F0 before 0x80-0x8F. Raw
// bytes above 0x7F never get here (http/framing.h refuses them).
bool starts_overlong_utf8(std::string_view path, std::size_t at) {
  const int lead = hex_digit_value(path[at + 1]) * 16 + hex_digit_value(path[at + 2]);
  if (lead == 0xC0 || lead == 0xC1) return true;
  if (lead != 0xE0 && lead != 0xF0) return false;
  if (at + 5 >= path.size() || path[at + 3] != '%') return false;
  const int hi = hex_digit_value(path[at + 4]);
  const int lo = hex_digit_value(path[at + 5]);
  if (hi < 0 || lo < 0) return false;
  const int next = hi * 16 + lo;
  return next >= 0x80 && next < (lead == 0xE0 ? 0xA0 : 0x90);
}

}  // namespace

std::string Upstream::key() const { return host + ":" + std::to_string(port); }

Result<Upstream> parse_upstream_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return fail(Error::invalid_request("upstream \"" + std::string(url) + "\": " + why));
  };
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with("https://")) {
    return bad(
        "https:// upstreams are not supported yet (TLS to the upstream is not done); "
        "use http:// on a trusted network");
  }
  if (!url.starts_with(kHttp)) return bad("must start with http://");
  std::string_view rest = url.substr(kHttp.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("must not have a query or fragment");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("must not carry user info");
  if (authority.empty()) return bad("has no host");

  Upstream out;
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed IPv6 bracket");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has garbage after the IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return bad("has no host");
  const bool host_ok = std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':';
  });
  if (!host_ok) return bad("has a malformed host");
  out.host = std::string(host);
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return bad("has a bad port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  if (!path.empty() && is_ambiguous_path(path)) return bad("has a malformed base path");
  out.base_path = std::string(path);
  const std::string bracketed =
      out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  out.host_header = out.port == 80 ? bracketed : bracketed + ":" + std::to_string(out.port);
  return out;
}

std::string GatewayRoute::upstream_target(std::string_view target) const {
  return upstream.base_path + std::string(target);
}

Result<std::vector<GatewayRoute>> compile_gateway_routes(
    const std::vector<GatewayRouteSpec>& specs) {
  std::vector<GatewayRoute> routes;
  std::set<std::pair<std::string, std::string>> seen;  // method, pattern
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto route = compile_one(specs[i], i);
    if (!route) return fail(route.error());
    for (const std::string& method : route->methods) {
      if (!seen.emplace(method, route->pattern).second) {
        return fail(Error::invalid_request("gateway_routes[" + std::to_string(i) + "]: " + method +
                                           " " + route->pattern +
                                           " is already routed by an earlier gateway route"));
      }
    }
    routes.push_back(std::move(*route));
  }
  return routes;
}

bool is_ambiguous_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return true;
  // A backslash, and ';' (path parameters: "/a;x/b" is "/a/b" to some
  // upstreams, a segment "a;x" to latchkey).
  if (path.find_first_of("\\;") != std::string_view::npos) return true;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') continue;
    if (i + 2 >= path.size()) return true;  // a truncated escape
    const int hi = hex_digit_value(path[i + 1]);
    const int lo = hex_digit_value(path[i + 2]);
    if (hi < 0 || lo < 0) return true;  // not an escape at all
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (starts_overlong_utf8(path, i)) return true;
    // '/', '\\', '.', ';' and every unreserved character: an upstream that
    // decodes before routing would see another path than latchkey matched
    // ("/records/%65xport" is "/records/export" there).
    if (decoded == '/' || decoded == '\\' || decoded == ';' || is_unreserved(decoded)) {
      return true;
    }
    i += 2;
  }
  if (path == "/") return false;
  for (std::size_t i = 1; i <= path.size();) {  // each segment after a '/'
    const auto next = std::min(path.find('/', i), path.size());
    const std::string_view segment = path.substr(i, next - i);
    if (segment.empty() || segment == "." || segment == "..") return true;
    i = next + 1;
  }
  return false;
}

}  // namespace latchkey::gateway
