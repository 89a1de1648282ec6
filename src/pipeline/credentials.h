// Reading credentials from the Authorization header: HTTP Basic with a
// Client ID and Secret (seed 000), and Bearer tokens (RFC 6750). Pure
// parsing; every malformed header is a handled error, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace latchkey::pipeline {

inline constexpr std::size_t kMaxAuthorizationBytes = 1024;

struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// kInvalidClient with a description of what is wrong: missing, not Basic,
// oversized, not base64, no colon, empty id or secret.
Result<BasicCredentials> parse_basic_authorization(std::optional<std::string_view> header);

// The token of "Bearer <token>". kMissingCredentials when the header is
// absent; kInvalidToken (reason "malformed") when it is not a Bearer header.
Result<std::string_view> parse_bearer_authorization(std::optional<std::string_view> header);

// The web console's cookie (docs/console.md): on plain HTTP ...
inline constexpr std::string_view kSessionCookieName = "latchkey_session";
// ... and on https (TLS or an https public_url): a "__Host-" cookie, which
// a browser only takes when Secure, Path=/ and without Domain, so a sibling
// subdomain cannot plant (toss) one.
inline constexpr std::string_view kSecureSessionCookieName = "__Host-latchkey_session";

// The value of the first cookie `name` in a Cookie header ("a=1; b=2");
// nullopt when absent. Never fails: a malformed header has no such cookie.
std::optional<std::string_view> cookie_value(std::optional<std::string_view> header,
                                             std::string_view name);
// How many distinct session cookies of one request are verified at most
// (authenticate_stage.cc): each costs a store read.
inline constexpr std::size_t kMaxSessionCookiesTried = 3;

// Every value of cookie `name`, in header order (a browser sends one per
// Path and Domain it holds; the first is not necessarily ours).
std::vector<std::string_view> cookie_values(std::optional<std::string_view> header,
                                            std::string_view name);

// True when `origin` (an Origin header: "scheme://host[:port]") names the
// host `host` (the Host header) or equals `public_origin`. "null" and
// anything unparseable are another origin.
bool same_origin(std::string_view origin, std::string_view host, std::string_view public_origin);

}  // namespace latchkey::pipeline
