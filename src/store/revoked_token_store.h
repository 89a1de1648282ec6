// RevokedTokenStore: JWTs revoked before their expiry (RFC 7009, POST
// /oauth/revoke), by their `jti`. A JWT is self-contained, so its revocation
// must be remembered until the token would have expired anyway; the rows are
// loaded into the JwtService's in-memory revocation set at start and pruned
// after expiry.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace latchkey {

struct RevokedJwt {
  std::string jti;
  std::string user_id;  // the token's subject
  Instant revoked_at;
  Instant expires_at;  // the token's own expiry: the row matters until then
};

class RevokedTokenStore {
 public:
  virtual ~RevokedTokenStore() = default;

  // Records the revocation. Revoking a jti twice keeps the first record and
  // returns false; true when this call recorded it.
  virtual Result<bool> revoke_jwt(const RevokedJwt& revoked) = 0;

  // Revocations whose token has not expired at `now` (expires_at > now).
  virtual Result<std::vector<RevokedJwt>> revoked_jwts(Instant now) = 0;

  // Whether `jti` is revoked and unexpired at `now`: read by a node whose
  // in-memory set may be stale (degraded mode, docs/operations.md). The
  // default scans revoked_jwts(now) (few rows: revoked JWTs live at most a
  // token's lifetime); a backend may answer with one indexed lookup.
  virtual Result<bool> is_jwt_revoked(std::string_view jti, Instant now) {
    auto all = revoked_jwts(now);
    if (!all) return fail(all.error());
    for (const RevokedJwt& r : *all) {
      if (r.jti == jti) return true;
    }
    return false;
  }

  // Deletes revocations whose token expired at or before `before`; returns
  // how many.
  virtual Result<int> prune_revoked_jwts(Instant before) = 0;
};

}  // namespace latchkey
