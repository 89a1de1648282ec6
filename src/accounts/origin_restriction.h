// Origin restrictions (docs/origin-restrictions.md): the CIDR blocks a
// user's Client ID + Secret (and the tokens issued from them), or an API
// key (and every token derived from it), may be used from. An empty list
// means anywhere. A user's list is also a ceiling for their API keys.
//
// OriginRestriction is the parsed form a Principal carries, built once when
// the principal is built (cache fill), so that the check on every request is
// one CIDR match over a small vector, and nothing at all when unrestricted.
//
// Thread-safety: values; a const OriginRestriction is safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/cidr.h"
#include "core/error.h"

namespace latchkey {

// At most this many blocks per user or key.
inline constexpr std::size_t kMaxAllowedOrigins = 64;

class OriginRestriction {
 public:
  OriginRestriction() = default;  // anywhere

  // From stored, normalized blocks. An entry that does not parse (a corrupt
  // row) is dropped, and the restriction stays: fail closed, never "anywhere".
  static OriginRestriction of(const std::vector<std::string>& cidrs);
  // An API key's list under its owner's: the owner's list is a ceiling for
  // every credential of the owner, so an address must be allowed by both
  // (each list that is not empty).
  static OriginRestriction of_key(const std::vector<std::string>& key_cidrs,
                                  const std::vector<std::string>& owner_cidrs);

  bool restricted() const { return restricted_ || owner_restricted_; }
  // `client_ip` as http::Request::remote_ip holds it (the resolved client).
  bool allows(std::string_view client_ip) const {
    return (!restricted_ || blocks_.contains(client_ip)) &&
           (!owner_restricted_ || owner_blocks_.contains(client_ip));
  }

 private:
  CidrSet blocks_;
  bool restricted_ = false;
  CidrSet owner_blocks_;  // the owner's list, for a key's restriction
  bool owner_restricted_ = false;
};

// An admin's list, validated and normalized: at most kMaxAllowedOrigins
// entries, each an IPv4 or IPv6 CIDR block or a bare address (a /32 or
// /128), written canonically ("2001:DB8::/32" -> "2001:db8::/32",
// "10.1.2.3" -> "10.1.2.3/32"), duplicates dropped, order kept.
// kInvalidRequest naming the first bad entry (its index and text, cut short
// and without secret-shaped runs).
Result<std::vector<std::string>> normalize_allowed_origins(const std::vector<std::string>& entries);

}  // namespace latchkey
