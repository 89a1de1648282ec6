// Invalidation messages: what changed in the shared store, as one node tells
// the others (docs/operations.md, "Cross-node invalidation"). A message names
// what to evict or reload, never a secret: an account token travels as its
// SHA-256 digest, a JWT as its jti.
//
// Wire format (version 1), one NOTIFY payload, at most kMaxPayloadBytes:
//
//   L1 <origin>\n            origin: the publishing node's id
//   <kind>[ <field>]*\n      one line per message, at least one
//
//   u <user>                 a user changed (disable, flags, origins, secret)
//   a <user>                 the user's account tokens ended (issue, revoke all)
//   t <digest>               one account token ended (64 lowercase hex)
//   k <key>                  an API key changed (deactivated, rerolled, limits,
//                            origins)
//   s <key> <session> <ms>   a seed-003 login session was revoked; its token
//                            expires at <ms> (Unix milliseconds)
//   j <jti> <ms>             a JWT was revoked; it expires at <ms>
//   g                        the signing keys changed (rotation)
//   p                        the permission model changed (roles, sets,
//                            applications, grants)
//   r                        reload everything from the store (a tool such
//                            as recover-admin changed the store directly)
//
// Fields are percent-encoded: bytes outside [A-Za-z0-9._~:-] travel as %XX.
// The parser is total: anything else (unknown version or kind, a missing or
// extra field, a bad escape, an empty or over-long field, a control byte
// after decoding, a number out of range) rejects the whole payload, and the
// receiver then resynchronises from the store (receiver.h), because a
// payload it cannot read may have carried a change.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/time.h"

namespace latchkey::invalidation {

// NOTIFY payloads must be shorter than 8000 bytes (PostgreSQL's limit).
inline constexpr std::size_t kMaxPayloadBytes = 7900;
// Ids, digests and session ids are far shorter; longer fields are refused.
inline constexpr std::size_t kMaxFieldBytes = 256;

enum class Kind : char {
  kUserChanged = 'u',
  kAccountTokensOfUser = 'a',
  kAccountToken = 't',
  kApiKey = 'k',
  kLoginSession = 's',
  kRevokedJwt = 'j',
  kSigningKeys = 'g',
  kPolicy = 'p',
  kResync = 'r',
};

struct Message {
  Kind kind = Kind::kPolicy;
  std::string subject;  // user id | digest (hex) | key id | jti; empty for g and p
  std::string session;  // kLoginSession: the session id
  Instant until{};      // kLoginSession, kRevokedJwt: refuse until then

  static Message user_changed(std::string_view user_id);
  static Message account_tokens_of_user(std::string_view user_id);
  static Message account_token(const Digest& digest);
  static Message api_key(std::string_view key_id);
  static Message login_session(std::string_view key_id, std::string_view session_id, Instant until);
  static Message revoked_jwt(std::string_view jti, Instant until);
  static Message signing_keys();
  static Message policy();
  static Message resync();

  friend bool operator==(const Message&, const Message&) = default;
};

struct Batch {
  std::string origin;
  std::vector<Message> messages;
};

// Payloads carrying `messages` from `origin`, each at most kMaxPayloadBytes,
// in order. Empty for no messages. A message whose fields exceed
// kMaxFieldBytes is not encodable: kInvalidRequest (a programming error;
// ids are short).
Result<std::vector<std::string>> encode(std::string_view origin,
                                        const std::vector<Message>& messages);

// The batch of one payload, or kInvalidRequest saying why not.
Result<Batch> parse(std::string_view payload);

// The digest of a kAccountToken message, or nullopt.
std::optional<Digest> digest_of(const Message& message);

}  // namespace latchkey::invalidation
