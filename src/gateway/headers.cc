#include "gateway/headers.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace latchkey::gateway {
namespace {

constexpr std::array<std::string_view, 8> kHopByHop = {
    "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
    "TE",         "Trailer",    "Transfer-Encoding",  "Upgrade"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Request headers the caller may not send upstream (compared normalised, see
// normalised_name): they would let the caller tell the upstream a different
// client address, scheme, path or method than the one latchkey checked.
constexpr std::array<std::string_view, 9> kCallerMayNotSet = {"forwarded",
                                                              "x-real-ip",
                                                              "x-forwarded-port",
                                                              "x-forwarded-prefix",
                                                              "x-http-method-override",
                                                              "x-http-method",
                                                              "x-method-override",
                                                              "x-original-url",
                                                              "x-rewrite-url"};

// Lower case with '_' read as '-': "X_Latchkey_User_Id" and
// "x-latchkey-user-id" are one name to an upstream behind CGI-style
// variables (HTTP_X_LATCHKEY_USER_ID), so they are one name here too.
std::string normalised_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Every name listed in any Connection header ("close" and "keep-alive" included).
template <class Headers>
std::vector<std::string_view> connection_tokens(const Headers& headers) {
  std::vector<std::string_view> out;
  // `auto`: a HeaderView of the request's buffer, or a Header of a vector;
  // never a copy, since the tokens point into the headers.
  for (const auto& h : headers) {
    if (!http::iequals(h.name, "Connection")) continue;
    std::string_view value = h.value;
    while (!value.empty()) {
      const auto comma = value.find(',');
      const std::string_view token = trim(value.substr(0, comma));
      if (!token.empty()) out.push_back(token);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return out;
}

// Hop-by-hop: fixed names and the ones the message's Connection header names.
// `name` compared normalised, so that underscore spellings count too.
bool is_connection_scoped(std::string_view name, const std::vector<std::string_view>& tokens) {
  const std::string normalised = normalised_name(name);
  if (is_hop_by_hop(normalised)) return true;
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](std::string_view t) { return normalised_name(t) == normalised; });
}

std::string credential_header(const Principal& principal) {
  if (principal.key) return "key " + principal.key->masked_key;
  return "client " + principal.client_id;
}

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                     [&](std::string_view h) { return http::iequals(h, name); });
}

std::vector<http::Header> identity_headers(const Principal& principal) {
  std::vector<http::Header> out = {
      {"X-Latchkey-User-Id", principal.user_id},
      {"X-Latchkey-User-Name", principal.name},
      {"X-Latchkey-User-Type", std::string(to_string(principal.type))},
      {"X-Latchkey-Credential", credential_header(principal)},
  };
  if (principal.key) {
    out.push_back({"X-Latchkey-Key-Id", principal.key->key_id});
    out.push_back({"X-Latchkey-Key-Scope", principal.key->read_only ? "read" : "write"});
  }
  out.push_back({"X-Latchkey-Scope", principal.may_write() ? "read write" : "read"});
  return out;
}

std::vector<http::Header> upstream_request_headers(const http::Request& request,
                                                   const Principal& principal,
                                                   const ForwardOptions& options) {
  const auto tokens = connection_tokens(request.headers);
  std::vector<http::Header> out;
  out.reserve(request.headers.size() + 10);
  std::string forwarded_for;
  std::string client_host;
  for (const http::HeaderView h : request.headers) {
    const std::string_view name = h.name;
    if (is_connection_scoped(name, tokens)) continue;
    const std::string normalised = normalised_name(name);
    if (normalised.starts_with("x-latchkey-")) continue;  // no spoofing of identity
    if (std::find(kCallerMayNotSet.begin(), kCallerMayNotSet.end(), normalised) !=
        kCallerMayNotSet.end()) {
      continue;
    }
    if (normalised == "authorization" && !options.forward_authorization) continue;
    if (normalised == "host") {
      if (client_host.empty()) client_host = h.value;
      continue;
    }
    if (normalised == "x-forwarded-for") {
      // Appended to, under its own name only: "X_Forwarded_For" is dropped.
      // Only a trusted proxy's chain is passed on (docs/proxies.md); from
      // anyone else it is dropped, not relayed as if latchkeyd vouched for it.
      if (request.peer_trusted && http::iequals(name, "X-Forwarded-For")) {
        if (!forwarded_for.empty()) forwarded_for += ", ";
        forwarded_for += trim(h.value);
      }
      continue;
    }
    if (normalised == "x-forwarded-proto" || normalised == "x-forwarded-host" ||
        normalised == "x-request-id" || normalised == "content-length" ||
        normalised == "traceparent" || normalised == "tracestate" ||  // latchkeyd's hop, below
        normalised == "expect") {  // latchkeyd already read the whole body
      continue;
    }
    out.push_back(h);
  }
  out.push_back({"Host", std::string(options.upstream_host_header)});
  // The last hop: the trusted proxy that sent the chain, else the client.
  const std::string& last_hop =
      request.peer_trusted && !request.peer_ip.empty() ? request.peer_ip : request.remote_ip;
  if (!last_hop.empty()) {
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += last_hop;
  }
  if (!forwarded_for.empty()) out.push_back({"X-Forwarded-For", std::move(forwarded_for)});
  out.push_back({"X-Forwarded-Proto", options.client_tls ? "https" : "http"});
  if (!client_host.empty()) out.push_back({"X-Forwarded-Host", std::move(client_host)});
  if (!request.request_id.empty()) out.push_back({"X-Request-Id", request.request_id});
  // W3C Trace Context: the upstream's parent is latchkeyd's span.
  if (!request.trace.empty()) {
    out.push_back({"traceparent", request.trace.traceparent()});
    if (!request.trace.tracestate.empty()) out.push_back({"tracestate", request.trace.tracestate});
  }
  for (http::Header& h : identity_headers(principal)) out.push_back(std::move(h));
  return out;
}

std::vector<http::Header> downstream_response_headers(const std::vector<http::Header>& upstream) {
  const auto tokens = connection_tokens(upstream);
  std::vector<http::Header> out;
  out.reserve(upstream.size());
  for (const http::Header& h : upstream) {
    if (is_connection_scoped(h.name, tokens)) continue;
    const std::string normalised = normalised_name(h.name);
    if (normalised == "content-length" || normalised == "x-request-id") continue;
    // latchkeyd names itself, and its own rate limits are the ones that
    // apply to the caller (RateLimit-* are added by the gateway).
    if (normalised == "server" || normalised == "ratelimit" ||
        normalised.starts_with("ratelimit-")) {
      continue;
    }
    out.push_back(h);
  }
  return out;
}

}  // namespace latchkey::gateway
