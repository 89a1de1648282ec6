// The one check of a credential's origin restriction
// (docs/origin-restrictions.md): may a credential restricted to some CIDR
// blocks be used by a request from `client_ip` (http::Request::remote_ip,
// the client http/client_address.h resolved with trusted_proxies)?
//
// The authenticate stage asks it for every bearer token, Basic client and
// API-key exchange; the OAuth handlers, which authenticate their client
// themselves (RFC 6749 §5.2 fixes their error shape), ask the same function.
//
// Cost: nothing for an unrestricted credential (inline, no allocation); one
// address parse and one match over the blocks otherwise.
//
// Thread-safety: pure; the refusal counter is atomic.
#pragma once

#include <optional>
#include <string_view>

#include "accounts/origin_restriction.h"
#include "core/error.h"

namespace latchkey::pipeline {

// What was presented, for the wording and the error code of the refusal.
enum class OriginSubject {
  kToken,   // a bearer token: 401 invalid_token
  kClient,  // a Client ID + Secret: 401 invalid_client
  kApiKey,  // an API key presented for exchange: 401 invalid_token
};

inline constexpr std::string_view kOriginNotAllowed = "origin_not_allowed";

// The 401 with reason origin_not_allowed; counted in
// latchkey_origin_refusals_total.
Error origin_not_allowed(std::string_view client_ip, OriginSubject subject);

// nullopt when allowed; the refusal otherwise.
inline std::optional<Error> origin_refusal(const OriginRestriction& origins,
                                           std::string_view client_ip, OriginSubject subject) {
  if (origins.allows(client_ip)) return std::nullopt;
  return origin_not_allowed(client_ip, subject);
}

}  // namespace latchkey::pipeline
