// Principal: the authenticated caller of a request, as the rest of latchkey
// sees it. Built from the user record and the credential that proved it;
// immutable once built and shared between threads via shared_ptr<const>.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/origin_restriction.h"
#include "core/time.h"
#include "store/records.h"

namespace latchkey {

// Set when the caller authenticated with a token obtained from an API key
// (seeds 003/004). The key narrows what its owner may do (DESIGN invariant
// 4): only the key's role, if it names one, and never a write when the key
// is read-only.
struct KeyGrant {
  std::string key_id;
  std::string masked_key;  // "••••" + last 4, for audit records
  std::string role_id;     // empty: every permission of the owner
  bool read_only = false;
  std::string session_id;  // seed 003 session, when the token came from /auth/login
};

struct Principal {
  std::string user_id;
  std::string name;
  UserType type = UserType::kHuman;
  bool api_access = false;
  std::vector<std::string> modules;
  std::string client_id;  // the client whose credentials produced the token
  Instant token_issued_at;
  Instant token_expires_at;
  std::optional<KeyGrant> key;  // empty for account tokens (seed 000)
  // OAuth client-credentials token (POST /oauth/token, docs/oauth.md)
  // narrowed to scope "read": never a write, never administers.
  bool read_only = false;
  std::string token_id;  // the JWT's jti; empty for opaque account tokens
  // A service account's expiry (accounts/account_expiry.h): its tokens are
  // refused from this instant on, whatever they say.
  std::optional<Instant> account_expires_at;
  // Account tokens: when the user's current Client Secret was set, if it is
  // the one of the token's client (GET /api/v1/account/me shows its age,
  // docs/secret-age.md).
  std::optional<Instant> secret_created_at;
  // Where the credential behind this principal may be used from
  // (docs/origin-restrictions.md): for key-derived tokens the key's list
  // and the owner's (both must allow the address: the user's list is a
  // ceiling for every credential of the user), the user's for tokens of
  // their Client ID + Secret; unrestricted for a console session. Checked
  // by the authenticate stage on every request.
  OriginRestriction origins;
  // How the caller proved itself, without the secret, rendered once when
  // the principal is built (audit records, X-Latchkey-Credential): "key
  // ••••a1B9" or "client cli_…".
  std::string credential;
  // GET /api/v1/account/me's JSON, rendered once when the principal is
  // built (tokens/principal_of_user.cc): everything before the value of
  // "expires_in" (the one field that changes with the clock) and after it.
  std::string me_json_head;
  std::string me_json_tail;

  // Neither a read-only key nor a read-only OAuth scope.
  bool may_write() const { return !read_only && !(key && key->read_only); }

  bool has_module(std::string_view module) const {
    return std::find(modules.begin(), modules.end(), module) != modules.end();
  }
  // A token obtained from an API key never administers (DESIGN invariant 4:
  // a key never grants more than its role and scope); administration needs
  // the owner's own account token.
  // A read-scoped OAuth token never administers either.
  bool is_admin() const { return !key && !read_only && has_module(kModuleAdmin); }
};

}  // namespace latchkey
