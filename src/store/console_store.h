// ConsoleStore: what the web console's sign-in keeps (docs/console.md):
// people's console passwords (argon2id hashes, never the password), their
// console sessions (the cookie secret and CSRF token only as SHA-256
// digests) and one-time invitations (the token only as its digest).
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
// Idle and absolute expiry are decided by the caller (console_auth/) with
// its clock; the store keeps the instants.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/time.h"

namespace latchkey {

struct ConsoleSession {
  std::string id;          // public: "ses_..."
  Digest secret_digest{};  // SHA-256 of the cookie secret (lk_cs_...)
  Digest csrf_digest{};    // SHA-256 of the session's CSRF token
  std::string user_id;
  Instant created_at;
  Instant last_seen_at;
  Instant expires_at;  // absolute end
  std::string ip;
  std::string user_agent;
  std::optional<Instant> ended_at;  // signed out, revoked, ...
  std::string end_reason;           // "signed_out", "revoked", "user_disabled", "password_set"
};

// A coalesced "last seen" observation of a session.
struct ConsoleSessionSeen {
  std::string session_id;
  Instant at;
};

// A token minted for a session (the API explorer's JWT, by its jti).
struct ConsoleSessionToken {
  std::string token_id;
  std::string session_id;
  std::string user_id;
  Instant expires_at;
};

struct ConsoleInvitation {
  Digest token_digest{};  // SHA-256 of the invitation token (lk_inv_...)
  std::string user_id;
  Instant created_at;
  Instant expires_at;
  std::optional<Instant> used_at;
};

class ConsoleStore {
 public:
  virtual ~ConsoleStore() = default;

  // --- passwords -------------------------------------------------------------
  // Sets the user's console password hash (an argon2id string). kNotFound
  // when the user does not exist.
  virtual Status set_console_password(std::string_view user_id, std::string_view password_hash,
                                      Instant at) = 0;
  // The hash, or nullopt when the user has no console password.
  virtual Result<std::optional<std::string>> console_password_hash(std::string_view user_id) = 0;

  // --- sessions ----------------------------------------------------------------
  // kConflict when the id or a digest is taken; kNotFound when the user
  // does not exist.
  virtual Status create_console_session(const ConsoleSession& session) = 0;
  // Ended sessions are found too (the caller says why it is refused).
  virtual Result<std::optional<ConsoleSession>> find_console_session_by_secret(
      const Digest& secret_digest) = 0;
  virtual Result<std::optional<ConsoleSession>> find_console_session(std::string_view id) = 0;
  // Sessions of the user not ended, oldest first (expired ones included:
  // expiry is the caller's clock).
  virtual Result<std::vector<ConsoleSession>> open_console_sessions_of_user(
      std::string_view user_id) = 0;
  // Moves last_seen_at forward (never back) for each session, in one write.
  virtual Status note_console_sessions_seen(const std::vector<ConsoleSessionSeen>& seen) = 0;
  // Ends one open session. False when it is unknown or already ended.
  virtual Result<bool> end_console_session(std::string_view id, Instant at,
                                           std::string_view reason) = 0;
  // Ends every open session of the user; returns how many.
  virtual Result<int> end_console_sessions_of_user(std::string_view user_id, Instant at,
                                                   std::string_view reason) = 0;
  // Deletes sessions whose absolute end or end is before `before`, and
  // session tokens that expired before it.
  virtual Result<int> prune_console_sessions(Instant before) = 0;

  // Remembers a token minted for a session, atomically with the check that
  // the session is still open: kInvalidToken reason "session_ended" when
  // it is unknown or has ended (a sign-out racing the minting must not leave
  // a token that nothing revokes); kConflict when the token id is taken.
  virtual Status add_console_session_token(const ConsoleSessionToken& token) = 0;
  // The session's tokens that expire after `now`.
  virtual Result<std::vector<ConsoleSessionToken>> console_session_tokens(
      std::string_view session_id, Instant now) = 0;
  // Every session's tokens of the user that expire after `now` (whatever
  // the session's state: for ending all of them).
  virtual Result<std::vector<ConsoleSessionToken>> console_session_tokens_of_user(
      std::string_view user_id, Instant now) = 0;

  // --- invitations ---------------------------------------------------------------
  // Stores the user's invitation, replacing any earlier one of the user (the
  // earlier token stops working). kNotFound when the user does not exist.
  virtual Status put_console_invitation(const ConsoleInvitation& invitation) = 0;
  virtual Result<std::optional<ConsoleInvitation>> find_console_invitation(
      const Digest& token_digest) = 0;
  // In one transaction: the invitation must exist, be unused and expire
  // after `now` (else kNotFound with reason "invitation_invalid"); sets the
  // user's password hash, marks the invitation used and ends every open
  // session of the user (reason "password_set"). Returns the invitation as
  // it was.
  virtual Result<ConsoleInvitation> accept_console_invitation(const Digest& token_digest,
                                                              std::string_view password_hash,
                                                              Instant now) = 0;
};

}  // namespace latchkey
