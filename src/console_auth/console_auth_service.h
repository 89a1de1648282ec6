// ConsoleAuthService: people signing in to the web console
// (docs/console.md): sign-in with username and password, the session behind
// the `latchkey_session` cookie (idle 30 min, absolute 12 h), its CSRF
// token, sign-out, listing and revoking sessions, and one-time invitations.
//
// Secrets: the cookie secret (lk_cs_...), the CSRF token and the invitation
// token (lk_inv_...) are returned once and kept only as SHA-256 digests,
// compared in constant time; passwords only as argon2id hashes
// (password.h). Nothing here logs.
//
// A lookup refreshes the session's last use: in memory at once (so idle
// expiry is exact in this process) and in the store at most once per
// `seen_write_interval` per session, or at flush_seen().
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/principal.h"
#include "console_auth/hashing_gate.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/console_store.h"
#include "store/store.h"

namespace latchkey::console_auth {

struct ConsoleAuthOptions {
  Duration idle = std::chrono::minutes(30);
  Duration absolute = std::chrono::hours(12);
  Duration invitation_ttl = std::chrono::hours(24);
  Duration seen_write_interval = std::chrono::seconds(60);
  // Password hashings/verifications at once (0: the cores, at least 2),
  // and how long a sign-in waits for one before a 503 (hashing_gate.h):
  // about one hashing's time, because the waiting request holds a
  // blocking-pool thread that every other blocking route needs too.
  unsigned hashing_slots = 0;
  std::chrono::milliseconds hashing_wait{100};
};

struct SignInRequest {
  std::string username;
  std::string password;
  std::string ip;
  std::string user_agent;
};

// A session as its owner sees it, with the user as of now.
struct SessionView {
  ConsoleSession session;
  User user;
  Instant idle_expires_at;
};

// Returned once by sign_in(): the cookie secret and CSRF token in clear.
struct SignedIn {
  SessionView view;
  std::string cookie_secret;
  std::string csrf_token;
};

struct IssuedInvitation {
  std::string token;  // shown once, in the invitation link
  Instant expires_at;
};

struct InvitationInfo {
  std::string username;
  Instant expires_at;
};

class ConsoleAuthService {
 public:
  ConsoleAuthService(Store& store, const Clock& clock, Random& random,
                     ConsoleAuthOptions options = {});

  // Called for every unexpired token noted with note_session_token() when
  // its session ends here (sign-out, revoke, user disabled, password set).
  // The notes are stored, so this holds across restarts.
  void set_token_revoker(std::function<void(const ConsoleSessionToken&)> revoke);
  // Durable before it returns: a token whose note failed must not be handed
  // out.
  Status note_session_token(const ConsoleSessionToken& token);

  // The session's CSRF token, derived from its cookie secret (one-way), so
  // that GET /api/v1/console/session can hand it to a reloaded page.
  static std::string csrf_token_for(std::string_view cookie_secret);

  // kInvalidClient with reason "invalid_credentials" for an unknown user, a
  // wrong password, a service account, a disabled user or a user without
  // a console password: one answer, and about the same time, for all.
  // kUnavailable with reason "password_hashing_busy" when every hashing
  // slot stayed taken for options.hashing_wait (also accept_invitation).
  Result<SignedIn> sign_in(const SignInRequest& request);

  // The session of a cookie secret, refreshed. kInvalidToken with reason
  // "session_invalid" (unknown, malformed), "session_ended" (signed out,
  // revoked), "session_expired" (idle or absolute) or "user_disabled" (the
  // user's sessions end then and there).
  Result<SessionView> lookup(std::string_view cookie_secret);

  // True when `token` is the session's CSRF token (constant time).
  static bool csrf_matches(const ConsoleSession& session, std::string_view token);

  // Ends the session. Ending an ended session is fine.
  Status sign_out(std::string_view session_id);

  // Open, unexpired sessions of the user, oldest first.
  Result<std::vector<SessionView>> sessions_of(std::string_view user_id);

  // Ends a session of the actor's own, or anyone's for an admin.
  // kNotFound for an unknown or ended session, or one the actor may not see.
  Status revoke(const Principal& actor, std::string_view session_id);

  // Ends every session of the user (the user was disabled).
  Status end_sessions_of_user(std::string_view user_id, std::string_view reason);

  // --- invitations ---------------------------------------------------------
  // For a human user (kConflict for a service account, kNotFound for an
  // unknown user): a new invitation, replacing the earlier one.
  Result<IssuedInvitation> invite(std::string_view user_id);
  // kNotFound reason "invitation_invalid" for an unknown, used or expired
  // invitation (or a malformed token).
  Result<InvitationInfo> inspect_invitation(std::string_view token);
  // Checks the password rules, then sets it and uses the invitation up;
  // every session of the person ends.
  Status accept_invitation(std::string_view token, std::string_view password);

  // Writes the pending "last seen" times (shutdown, tests).
  Status flush_seen();

  // Forgets sessions that ended or expired more than a day ago (hourly
  // maintenance), and in memory the last use of every session unused for
  // the idle time; returns how many sessions were deleted.
  Result<int> prune();

  Instant idle_expires_at(const ConsoleSession& session) const;

  // The bound on concurrent password hashing (tests hold its slots).
  HashingGate& hashing_gate() { return hashing_gate_; }
  // Sessions whose last use is kept in memory (tests).
  std::size_t sessions_seen_in_memory() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  Instant last_seen(const ConsoleSession& session);
  void session_ended(const std::string& session_id);
  // Forgets the in-memory last use of a session that ended or expired.
  void forget_seen(const std::string& session_id);
  std::uint64_t ended_epoch() const;
  // Revokes every unexpired token of the user's sessions (all of them just
  // ended): read after the end, so a session opened after a snapshot of the
  // open ones cannot keep a token.
  void revoke_tokens_of_user(std::string_view user_id);

  Store& store_;
  const Clock& clock_;
  Random& random_;
  ConsoleAuthOptions options_;
  HashingGate hashing_gate_;
  mutable std::mutex mu_;
  std::map<std::string, Instant> seen_;          // guarded by mu_: newest use per session
  std::map<std::string, Instant> seen_written_;  // guarded by mu_: as last stored
  std::uint64_t ended_epoch_ = 0;  // guarded by mu_: bumped whenever an entry is forgotten
  std::function<void(const ConsoleSessionToken&)> revoke_token_;  // guarded by mu_
};

}  // namespace latchkey::console_auth
