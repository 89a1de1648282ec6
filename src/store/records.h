// The records latchkey keeps. Plain values: no I/O, no behaviour beyond
// naming. Secrets never appear here, only their digests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/time.h"

namespace latchkey {

enum class UserType { kHuman, kService };
std::string_view to_string(UserType type);
std::optional<UserType> parse_user_type(std::string_view text);

// Module entitlements (seed 001). ADMIN administers latchkey itself.
inline constexpr std::string_view kModuleAdmin = "ADMIN";

struct User {
  std::string id;
  std::string name;
  UserType type = UserType::kHuman;
  bool disabled = false;
  bool api_access = false;  // seed 001: without it every call answers 401
  std::vector<std::string> modules;
  Instant created_at;
  Instant updated_at;
  // Service accounts only (issue 14 item 7, migration 12): who owns the
  // account and how to reach them; empty when unset. At `expires_at` the
  // account stops working and is then disabled by the lifecycle scan.
  std::string owner;
  std::string contact;
  std::string description;
  std::optional<Instant> expires_at;
  // Origin restriction (docs/origin-restrictions.md): the CIDR blocks the
  // user's Client ID + Secret and the tokens issued from them may be used
  // from, normalized ("10.0.0.0/8"); empty: anywhere. Migration 13.
  std::vector<std::string> allowed_origins;
};

struct NewUser {
  std::string id;
  std::string name;
  UserType type = UserType::kHuman;
  bool api_access = false;
  std::vector<std::string> modules;
  Instant created_at;
  std::string owner;  // service accounts only, see User
  std::string contact;
  std::string description;
  std::optional<Instant> expires_at;
};

// Unset fields keep their value. For owner, contact and description an
// empty string clears; `expires_at` set to nullopt clears the expiry.
struct UserUpdate {
  std::optional<bool> disabled;
  std::optional<bool> api_access;
  std::optional<std::string> owner;
  std::optional<std::string> contact;
  std::optional<std::string> description;
  std::optional<std::optional<Instant>> expires_at;
};

// A user's Client ID + Secret (seed 000). One per user; the client id is
// public, the secret is kept only as its digest.
struct ClientCredential {
  std::string client_id;
  std::string user_id;
  Digest secret_digest{};
  Instant created_at;
  // Rotation with overlap (migration 11, docs/rotation.md): the secret this
  // one replaced, accepted while the clock is before previous_expires_at
  // and refused with reason "rotated" after it. Both set or both unset; the
  // digest is kept after the lapse (until the next reset) so that a late
  // client is told why.
  std::optional<Digest> previous_secret_digest;
  std::optional<Instant> previous_expires_at;
  // Not stored: set by Store::set_client_secret when its write replaced an
  // existing secret (a reset, not a first enrolment), decided in its
  // transaction. False in every other answer.
  bool replaced = false;
};

// A live opaque account token (seed 000), keyed by the digest of the token.
struct AccountToken {
  Digest digest{};
  std::string user_id;
  std::string client_id;  // the client that issued it
  Instant issued_at;
  Instant expires_at;
  std::string issuer_ip;
  std::string issuer_user_agent;
};

// Why a token stopped being valid before or at its expiry.
enum class TokenEndReason { kSuperseded, kRevoked, kExpired, kUserDisabled };
std::string_view to_string(TokenEndReason reason);
std::optional<TokenEndReason> parse_token_end_reason(std::string_view text);

// What remains of a deleted token so that a later 401 can say why. For
// kSuperseded, `by_*` describe the issuance that replaced it (seed 000: the
// cause is "hard to trace"; this makes it easy). Kept until the token would
// have expired anyway.
struct TokenTombstone {
  Digest digest{};
  std::string user_id;
  TokenEndReason reason = TokenEndReason::kRevoked;
  Instant ended_at;
  Instant expires_at;
  std::string by_client_id;
  std::string by_ip;
  std::string by_user_agent;
};

// The token-interference alarm (docs/origin-restrictions.md): one user's
// account token regenerated more than `threshold` times within `window`
// from at least two client addresses (seeds 000/001: two clients sharing
// credentials keep superseding each other's token). threshold 0: off.
struct InterferenceRule {
  int threshold = 5;
  Duration window = std::chrono::hours(1);
};

// What the store knows of a user's interference: the episode (first and
// last issuance that met the rule), how many issuances the window held at
// the last one, from which addresses (sorted, at most
// kMaxInterferenceOrigins), and the last alarm.
inline constexpr std::size_t kMaxInterferenceOrigins = 16;
struct TokenInterference {
  std::string user_id;
  std::string client_id;  // of the latest issuance that met the rule
  Instant first_seen;
  Instant last_seen;
  int regenerations = 0;
  std::vector<std::string> origins;
  Instant alarmed_at;  // the last alarm: at most one per window
  int alarms = 0;      // alarms raised in all
};

// Result of looking a token digest up: live, ended, or neither (unknown).
struct AccountTokenLookup {
  std::optional<AccountToken> live;
  std::optional<TokenTombstone> ended;
};

}  // namespace latchkey
