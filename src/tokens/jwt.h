// JWTs (RFC 7519) signed with ES256 (RFC 7515/7518): the claims latchkey
// puts in the tokens of the key exchanges (seeds 003, 004), encoding, and a
// verification that pins the algorithm.
//
// Every token is an RFC 9068 access token: header {"alg":"ES256",
// "typ":"at+jwt","kid":...}, claims iss, aud, sub, client_id, jti, iat, exp.
//
// verify_jwt() refuses, in this order: anything that is not three non-empty
// base64url segments of sane size (malformed); a header that is not a JSON
// object (malformed) or names a member twice (duplicate_member); an `alg`
// that is not exactly "ES256" — so `none`, HS256 with the public key as the
// HMAC secret, RS256, ... (unsupported_algorithm); any header member but
// alg, typ, kid — crit, jwk, jku, x5u, x5c, zip, ... (unsupported_header); a
// `typ` other than at+jwt (wrong_type); no `kid` (malformed); an unknown
// `kid` (unknown_key); a signature that is not 64 raw bytes, not low-S, or
// does not verify (bad_signature); then the payload: duplicate member names
// (duplicate_member), wrong `iss` (wrong_issuer), wrong `aud`
// (wrong_audience), missing or mistyped required claims (malformed), `nbf`
// in the future (not_yet_valid), `exp` reached (expired). The payload is
// parsed only after the signature verified. Every refusal is kInvalidToken.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "tokens/jws_es256.h"

namespace latchkey {

inline constexpr std::size_t kMaxJwtChars = 8192;
// The JOSE `typ` of every token latchkey issues (RFC 9068 §2.1).
inline constexpr std::string_view kAccessTokenType = "at+jwt";

struct JwtClaims {
  std::string issuer;      // iss
  std::string audience;    // aud
  std::string subject;     // sub: the key's owner (user id)
  std::string key_id;      // key_id: the API key the token was exchanged for
  std::string scope;       // scope: "read" or "read write"
  std::string role;        // role: the key's role id, "" when none
  std::string session_id;  // sid: seed-003 session, "" for seed-004 tokens
  Instant issued_at;       // iat (seconds)
  Instant expires_at;      // exp (seconds)
  std::string jwt_id;      // jti
  // OAuth client-credentials tokens (POST /oauth/token, docs/oauth.md):
  // grant "client_credentials" (claim `gty`) and the client id (claim
  // `client_id`); such a token has no key_id/role. A key's token has no
  // gty and its client_id is its key_id (empty here means: the key_id).
  std::string grant;      // gty
  std::string client_id;  // client_id
};

inline constexpr std::string_view kClientCredentialsGrant = "client_credentials";

// header.payload.signature with {"alg":"ES256","typ":"at+jwt","kid":kid}.
Result<std::string> encode_jwt(const JwtClaims& claims, std::string_view kid, const Es256Key& key);

// The verification key of `kid`, or null when the kid is unknown.
using JwtKeyLookup = std::function<std::shared_ptr<const Es256Key>(std::string_view kid)>;

struct JwtExpectations {
  std::string_view issuer;
  std::string_view audience;
  Instant now;
};

Result<JwtClaims> verify_jwt(std::string_view token, const JwtKeyLookup& keys,
                             const JwtExpectations& expect);

// What a token this server stored earlier (a seed-003 session's token)
// says of itself, read WITHOUT verifying it: only for tokens that came from
// the store, never for a presented one.
struct StoredJwtFacts {
  std::string typ;
  std::string issuer;
  std::string jwt_id;
  bool has_client_id = false;
};
std::optional<StoredJwtFacts> read_stored_jwt(std::string_view token);

// Three dot-separated non-empty segments of base64url characters.
bool has_jwt_shape(std::string_view token);

}  // namespace latchkey
