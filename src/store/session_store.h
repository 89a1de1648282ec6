// SessionStore: the login sessions of seed 003. A session belongs to one
// API key; while its token is valid, the same (key, session) gets the same
// token back; revoking a session kills its token at once.
//
// The session's current JWT is stored with it (so that a login on any node
// or after a restart returns the same token). The JWT is no more sensitive
// than the signing keys kept in the same database.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

struct LoginSession {
  std::string key_id;
  std::string session_id;
  std::string user_id;  // the key's owner
  Instant created_at;
  std::string token;  // the current JWT
  Instant token_issued_at;
  Instant token_expires_at;
  std::optional<Instant> revoked_at;  // the current token was revoked
};

struct LoginOutcome {
  LoginSession session;
  bool reused = false;  // an earlier, still valid token was returned
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // seed 003, decided in one transaction: when the session (key_id,
  // session_id) exists, is not revoked and its token expires after `now`,
  // returns it unchanged (reused); when it is revoked and its token has not
  // expired, kConflict with reason "session_revoked" (the revocation must
  // outlive the token); otherwise stores `candidate`'s token as the
  // session's token (creating the session, or replacing an expired token:
  // revoked_at is cleared) and returns it. Two concurrent calls for the same
  // session return the same token. `reusable` (called inside the
  // transaction) may declare a valid, unrevoked stored token stale (e.g. in
  // a form from before an upgrade): it is then replaced like an expired one.
  virtual Result<LoginOutcome> login_session(
      const LoginSession& candidate, Instant now,
      const std::function<bool(const LoginSession&)>& reusable) = 0;
  Result<LoginOutcome> login_session(const LoginSession& candidate, Instant now) {
    return login_session(candidate, now, [](const LoginSession&) { return true; });
  }

  virtual Result<std::optional<LoginSession>> find_session(std::string_view key_id,
                                                           std::string_view session_id) = 0;
  // Sessions of a key, oldest first.
  virtual Result<std::vector<LoginSession>> sessions_of_key(std::string_view key_id) = 0;

  // Marks the session's current token revoked at `at` and returns the
  // session as it was before (with that token). kNotFound when there is no
  // such session. Revoking twice keeps the first revoked_at.
  virtual Result<LoginSession> revoke_session(std::string_view key_id, std::string_view session_id,
                                              Instant at) = 0;

  // Revoked sessions whose token has not expired at `now` (to rebuild the
  // in-memory revocation set at start).
  virtual Result<std::vector<LoginSession>> revoked_sessions(Instant now) = 0;

  // Deletes sessions whose token expired before `before`; returns how many.
  virtual Result<int> prune_sessions(Instant before) = 0;
};

}  // namespace latchkey
