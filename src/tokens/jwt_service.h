// JwtService: the short-lived ES256 JWTs that API keys are exchanged for
// (seeds 003 and 004), their verification on every protected endpoint, the
// seed-003 login sessions, and the signing keys (rotation, JWKS).
//
//   exchange_access()  seed 004: POST /v2/auth/token/access {api_key}
//                      -> a new 15-minute JWT on every call.
//   login()            seed 003: POST /auth/login {api_key, session_id?}
//                      -> a 2-hour JWT; while it is valid the same (key,
//                      session) gets the SAME token back (decided inside one
//                      store write, so concurrent logins agree); a new
//                      session id forces a new token.
//   authenticate()     bearer JWT -> Principal (with a KeyGrant). The
//                      signature is verified once per token (verified-token
//                      cache keyed by token digest); every call, cache hit or
//                      not, consults the in-memory revocation state: key
//                      deactivated or expired, owner disabled or without API
//                      access, token (jti) or session revoked -> 401 at once.
//   sessions           list and revoke seed-003 sessions of a key.
//   signing keys       JWKS, rotation (manual and periodic) with overlap: a
//                      key stays published while a token it signed can
//                      still be valid.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/principal.h"
#include "core/cache_trust.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "core/time.h"
#include "invalidation/bus.h"
#include "store/store.h"
#include "tokens/account_token_service.h"  // RequestOrigin

namespace latchkey {

// What a JWT needs to know about the API key behind it. Adapted from the
// keys area (keys/key_service.h) in server/main.cc, so that tokens/ does not
// depend on keys/ and tests can use a fake.
struct ApiKeyFacts {
  std::string key_id;
  std::string user_id;     // the key's owner
  std::string masked_key;  // "••••" + last 4
  std::string role_id;     // empty: every permission of the owner
  bool read_only = false;
  std::optional<Instant> expires_at;  // empty: never
  // Where the key and its tokens may be used from (normalized CIDR blocks;
  // empty: anywhere), docs/origin-restrictions.md.
  std::vector<std::string> allowed_origins;
};

class ApiKeyAuthority {
 public:
  virtual ~ApiKeyAuthority() = default;
  // The presented API key -> its facts, or kInvalidToken/kInvalidClient with
  // reason malformed | unknown | revoked | expired.
  virtual Result<ApiKeyFacts> authenticate_key(std::string_view api_key) = 0;
  // The key by id (any status), or kNotFound.
  virtual Result<ApiKeyFacts> find_key(std::string_view key_id) = 0;
  // In memory, cheap, called on every JWT-authenticated request: false once
  // the key is deactivated (or gone). Expiry is checked by the caller.
  virtual bool key_active(std::string_view key_id) = 0;
  // Why key_active() said false, as the 401 of a token derived from the key
  // (docs/rotation.md: "rotated" for a rerolled key after its lapse).
  virtual Error key_refusal(std::string_view /*key_id*/) {
    return Error::invalid_token("revoked",
                                "the API key of this token was deactivated or has expired");
  }
  // Coalesced "last used" bookkeeping (in memory); optional.
  virtual void note_used(std::string_view /*key_id*/) {}
};

// Per revocation set (jti, session), the revocations from other nodes kept
// in memory (about 100 bytes each); past it verifications read the store
// (docs/operations.md, "Cross-node invalidation").
inline constexpr std::size_t kMaxRemoteRevocations = 100'000;

struct JwtOptions {
  std::string issuer = "latchkey";  // the server's URL in latchkeyd (set_issuer)
  std::string audience = "latchkey";
  Duration access_token_ttl = std::chrono::seconds(900);  // seed 004: 15 minutes
  Duration login_token_ttl = std::chrono::seconds(7200);  // seed 003: 2 hours
  // OAuth client credentials (POST /oauth/token, docs/oauth.md).
  Duration oauth_access_token_ttl = std::chrono::seconds(3600);
  // A new signing key every this long (checked on issuance and by
  // maintain()); zero disables automatic rotation.
  Duration rotation_period = std::chrono::hours(24 * 30);
  std::size_t cache_capacity = 100'000;  // verified tokens kept in memory
};

struct IssuedJwt {
  std::string access_token;  // shown once
  Instant expires_at;
  std::int64_t expires_in = 0;            // seconds remaining
  std::string session_id;                 // login(): the session the token belongs to
  std::optional<Instant> key_expires_at;  // the API key's own expiry (empty: never)
  bool reused = false;                    // login(): the session's still-valid token came back
  // The key's owner as the token will authenticate it (with its KeyGrant),
  // for audit records of the exchange.
  std::shared_ptr<const Principal> principal;
};

// Counters, for tests and /metrics.
struct JwtStats {
  std::uint64_t signature_verifications = 0;  // cache misses that ran ES256 verify
  std::uint64_t cache_hits = 0;
  std::size_t cached_tokens = 0;
  std::size_t revoked_tokens = 0;  // in the in-memory revocation set
};

// A seed-003 login session, as listed to its owner (never the token).
struct LoginSessionInfo {
  std::string key_id;
  std::string session_id;
  Instant created_at;
  Instant token_issued_at;
  Instant token_expires_at;
  std::optional<Instant> revoked_at;
};

// A signing key as listed to admins (public parts only).
struct SigningKeyInfo {
  std::string kid;
  Instant created_at;
  std::optional<Instant> retired_at;  // when a newer key replaced it
  Instant verify_until;               // last instant a token it signed can be valid
  bool current = false;
  std::string public_jwk_json;  // {"kty":"EC","crv":"P-256",...}
};

class JwtService {
 public:
  // Loads the signing keys from store.signing_keys() (creating the first
  // one if there is none) and the revoked sessions from store.sessions().
  static Result<std::unique_ptr<JwtService>> create(Store& store, ApiKeyAuthority& keys,
                                                    const Clock& clock, Random& random,
                                                    JwtOptions options);
  virtual ~JwtService() = default;

  // Every token issued below expires at its TTL's end, or earlier at the
  // key's expiry, the service account's expiry, or `credential_deadline`
  // (the key's or Client Secret's creation + secret_hard_max_age_days;
  // nullopt: none), whichever comes first (accounts/account_expiry.h).
  //
  // seed 004. Errors: kInvalidToken/kInvalidClient (bad key, with reason).
  virtual Result<IssuedJwt> exchange_access(
      std::string_view api_key, const RequestOrigin& origin,
      std::optional<Instant> credential_deadline = std::nullopt) = 0;
  // seed 003. `session_id` empty: the key's default session.
  virtual Result<IssuedJwt> login(std::string_view api_key, std::string_view session_id,
                                  const RequestOrigin& origin,
                                  std::optional<Instant> credential_deadline = std::nullopt) = 0;

  // OAuth 2.0 client credentials (RFC 6749 §4.4, docs/oauth.md): a JWT for
  // `user` (already authenticated by its Client ID + Secret) with claims
  // gty=client_credentials, client_id, scope ("read" or "read write"), living
  // oauth_access_token_ttl. A "read" token never writes and never
  // administers (Principal::read_only).
  // `ttl` set: the token lives that long instead (the console's explorer
  // token, docs/console.md: 300 s).
  virtual Result<IssuedJwt> issue_client_credentials(
      const User& user, std::string_view client_id, bool read_only,
      std::optional<Duration> ttl = std::nullopt,
      std::optional<Instant> credential_deadline = std::nullopt) = 0;

  // RFC 7009: revokes the JWT whose jti is `token_id` (of user `user_id`,
  // expiring at `expires_at`) durably; it is refused at once, and after a
  // restart. Revoking twice is fine.
  virtual Status revoke_token_id(std::string_view token_id, std::string_view user_id,
                                 Instant expires_at) = 0;

  // The `iss` of issued tokens and the only one accepted (the RFC 8414
  // metadata `issuer`). main.cc calls it once, after the listening socket
  // is bound and before any request is served or token issued: not safe
  // concurrently with issuance or verification.
  virtual void set_issuer(std::string issuer) = 0;

  // `iss` and `aud` of the tokens this service issues (for introspection).
  virtual const std::string& issuer() const = 0;
  virtual const std::string& audience() const = 0;

  // True when `token` has the shape of a JWT (three base64url segments),
  // i.e. authenticate() should be asked rather than the account tokens.
  static bool looks_like_jwt(std::string_view token);

  // kInvalidToken with reason malformed | unsupported_algorithm |
  // unknown_key | bad_signature | wrong_issuer | wrong_audience | expired |
  // revoked | unknown (user gone) | user_disabled | api_access_disabled.
  virtual Result<std::shared_ptr<const Principal>> authenticate(std::string_view token) = 0;

  // Sessions of a key: its owner or an admin (kForbidden otherwise,
  // kNotFound for an unknown key).
  virtual Result<std::vector<LoginSessionInfo>> list_sessions(const Principal& caller,
                                                              std::string_view key_id) = 0;
  // Revokes a session: its token is refused at once. kNotFound when the
  // session does not exist.
  virtual Status revoke_session(const Principal& caller, std::string_view key_id,
                                std::string_view session_id) = 0;
  // The same without the caller checks, for a caller already allowed to
  // revoke the session's token (POST /oauth/revoke on a seed-003 token):
  // revoking only the token's jti would let the next login hand the same,
  // now refused, token back until it expires.
  virtual Status revoke_login_session(std::string_view key_id, std::string_view session_id) = 0;

  // Invalidation hooks, called after the change committed and before the
  // change is answered.
  virtual void forget_user(std::string_view user_id) = 0;  // flags/modules/disable
  virtual void forget_key(std::string_view key_id) = 0;    // deactivated, changed

  // --- signing keys ------------------------------------------------------------
  // {"keys":[...]} every key that can still verify a live token.
  virtual std::string jwks_json() = 0;
  virtual Result<SigningKeyInfo> rotate_signing_key() = 0;
  virtual std::vector<SigningKeyInfo> signing_keys() = 0;
  // Periodic housekeeping: automatic rotation when due, forgets keys and
  // revocations that can no longer matter.
  virtual Status maintain() = 0;

  virtual JwtStats stats() const = 0;

  // --- several nodes sharing the store (invalidation/, docs/operations.md) ------
  // Wiring, before serving. Revocations and signing-key changes committed
  // here are published (null: one node). While `trust` is withdrawn, no
  // verified token is served from memory and revocations are also read
  // from the store (null: always trusted).
  virtual void set_publisher(invalidation::Publisher* publisher) = 0;
  virtual void set_cache_trust(const CacheTrust* trust) = 0;
  // Another node's changes, in memory only (the store has them already).
  // `until` is clamped to now + the longest token lifetime of this node + 5
  // minutes; past kMaxRemoteRevocations entries per set nothing more is
  // kept and every verification also reads revocations from the store,
  // until reload_revocations() finds the sets under the cap again.
  virtual void refuse_token_id(std::string_view token_id, Instant until) = 0;
  virtual void refuse_login_session(std::string_view key_id, std::string_view session_id,
                                    Instant until) = 0;
  virtual Status reload_signing_keys() = 0;
  // Revoked JWTs and sessions from the store, added to memory (nothing is
  // forgotten: an entry lasts until its token expires).
  virtual Status reload_revocations() = 0;
  // Every verified token (the node may have missed an eviction).
  virtual void forget_all() = 0;
};

}  // namespace latchkey
