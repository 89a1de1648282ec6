#include "tokens/jwt.h"

#include <nlohmann/json.hpp>

namespace latchkey {
namespace {

using Json = nlohmann::json;

Error refuse(std::string reason, std::string description) {
  return Error::invalid_token(std::move(reason), std::move(description));
}

Error malformed(std::string why) { return refuse("malformed", "the bearer JWT " + std::move(why)); }

std::int64_t unix_seconds(Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
Instant from_unix_seconds(std::int64_t s) { return Instant{std::chrono::seconds(s)}; }

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

struct Segments {
  std::string_view header, payload, signature, signing_input;
};

std::optional<Segments> split(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  Segments s{token.substr(0, first), token.substr(first + 1, second - first - 1),
             token.substr(second + 1), token.substr(0, second)};
  if (s.header.empty() || s.payload.empty() || s.signature.empty()) return std::nullopt;
  return s;
}

std::optional<Json> decode_object(std::string_view segment) {
  auto bytes = base64url_decode(segment);
  if (!bytes) return std::nullopt;
  Json json = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

const std::string* string_claim(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// A NumericDate (seconds) that an Instant (milliseconds) can hold: years 0 to
// 9999. Beyond, converting to milliseconds overflowed (undefined behaviour,
// found by the jws fuzz target: "exp": 9223372036854775807), and an unsigned
// value above INT64_MAX wrapped to a negative time.
constexpr std::int64_t kMaxNumericDate = 253'402'300'799;  // 9999-12-31T23:59:59Z

std::optional<std::int64_t> numeric_date(const Json& value) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kMaxNumericDate)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (!value.is_number_integer()) return std::nullopt;
  const auto s = value.get<std::int64_t>();
  if (s < -kMaxNumericDate || s > kMaxNumericDate) return std::nullopt;
  return s;
}

std::optional<std::int64_t> int_claim(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  return numeric_date(*it);
}

}  // namespace

bool has_jwt_shape(std::string_view token) {
  if (token.size() > kMaxJwtChars) return false;
  int dots = 0;
  char previous = '.';
  for (char c : token) {
    if (c == '.') {
      if (previous == '.') return false;
      ++dots;
    } else if (!is_base64url_char(c)) {
      return false;
    }
    previous = c;
  }
  return dots == 2 && previous != '.';
}

Result<std::string> encode_jwt(const JwtClaims& claims, std::string_view kid, const Es256Key& key) {
  Json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid}};
  Json payload = {{"iss", claims.issuer},
                  {"aud", claims.audience},
                  {"sub", claims.subject},
                  {"scope", claims.scope},
                  {"iat", unix_seconds(claims.issued_at)},
                  {"exp", unix_seconds(claims.expires_at)},
                  {"jti", claims.jwt_id}};
  if (claims.grant.empty()) {
    payload["key_id"] = claims.key_id;
    payload["role"] = claims.role;
  } else {  // OAuth client credentials: no key behind the token
    payload["gty"] = claims.grant;
    payload["client_id"] = claims.client_id;
  }
  if (!claims.session_id.empty()) payload["sid"] = claims.session_id;
  std::string token = base64url_encode(header.dump());
  token += '.';
  token += base64url_encode(payload.dump());
  auto signature = key.sign(token);
  if (!signature) return fail(signature.error());
  token += '.';
  token += base64url_encode(*signature);
  return token;
}

Result<JwtClaims> verify_jwt(std::string_view token, const JwtKeyLookup& keys,
                             const JwtExpectations& expect) {
  if (token.size() > kMaxJwtChars) return fail(malformed("is too long"));
  const auto segments = split(token);
  if (!segments) return fail(malformed("does not have three non-empty segments"));
  const auto header = decode_object(segments->header);
  if (!header) return fail(malformed("header is not base64url JSON"));

  // The algorithm is pinned: the header only selects the key, never the algorithm.
  const std::string* alg = string_claim(*header, "alg");
  if (alg == nullptr || *alg != "ES256") {
    return fail(refuse("unsupported_algorithm", "only ES256 JWTs are accepted"));
  }
  if (header->contains("crit"))
    return fail(malformed("header has unsupported critical extensions"));
  if (header->contains("typ")) {
    const std::string* typ = string_claim(*header, "typ");
    if (typ == nullptr || *typ != "JWT") return fail(malformed("header typ is not JWT"));
  }
  const std::string* kid = string_claim(*header, "kid");
  if (kid == nullptr) return fail(malformed("header has no kid"));
  const std::shared_ptr<const Es256Key> key = keys(*kid);
  if (!key) {
    return fail(refuse("unknown_key", "the JWT was signed by a key this server does not publish"));
  }
  const auto signature = base64url_decode(segments->signature);
  if (!signature || !key->verify(segments->signing_input, *signature)) {
    return fail(refuse("bad_signature", "the JWT signature does not verify"));
  }

  const auto payload = decode_object(segments->payload);
  if (!payload) return fail(malformed("payload is not base64url JSON"));
  const std::string* iss = string_claim(*payload, "iss");
  if (iss == nullptr || *iss != expect.issuer) {
    return fail(refuse("wrong_issuer", "the JWT was not issued by this server"));
  }
  bool audience_ok = false;
  if (const auto aud = payload->find("aud"); aud != payload->end()) {
    if (aud->is_string()) {
      audience_ok = aud->get_ref<const std::string&>() == expect.audience;
    } else if (aud->is_array()) {
      for (const Json& a : *aud)
        audience_ok = audience_ok || (a.is_string() && a == expect.audience);
    }
  }
  if (!audience_ok) return fail(refuse("wrong_audience", "the JWT is meant for another audience"));

  const auto exp = int_claim(*payload, "exp");
  const auto iat = int_claim(*payload, "iat");
  const std::string* sub = string_claim(*payload, "sub");
  const std::string* key_id = string_claim(*payload, "key_id");
  const std::string* jti = string_claim(*payload, "jti");
  // OAuth client-credentials tokens carry gty + client_id instead of key_id.
  const std::string* gty = string_claim(*payload, "gty");
  const std::string* client_id = string_claim(*payload, "client_id");
  if (payload->contains("gty") &&
      (gty == nullptr || *gty != kClientCredentialsGrant || client_id == nullptr ||
       client_id->empty() || payload->contains("key_id"))) {
    return fail(malformed("has an unsupported gty or lacks client_id"));
  }
  if (gty != nullptr) key_id = client_id;  // stands in for the required key_id below
  if (!exp || !iat || sub == nullptr || key_id == nullptr || jti == nullptr) {
    return fail(malformed("lacks a required claim (exp, iat, sub, key_id, jti)"));
  }
  if (const auto nbf = payload->find("nbf"); nbf != payload->end()) {
    const auto not_before = numeric_date(*nbf);
    if (!not_before) return fail(malformed("has a non-integer or out-of-range nbf"));
    if (expect.now < from_unix_seconds(*not_before)) {
      return fail(refuse("not_yet_valid", "the JWT is not valid yet"));
    }
  }
  JwtClaims claims;
  claims.expires_at = from_unix_seconds(*exp);
  if (expect.now >= claims.expires_at) {
    return fail(refuse("expired", "the access token expired at " +
                                      format_rfc3339(claims.expires_at) + "; request a new one")
                    .with_detail("expired_at", format_rfc3339(claims.expires_at)));
  }
  claims.issuer = *iss;
  claims.audience = std::string(expect.audience);
  claims.subject = *sub;
  if (gty != nullptr) {
    claims.grant = *gty;
    claims.client_id = *client_id;
  } else {
    claims.key_id = *key_id;
  }
  claims.jwt_id = *jti;
  claims.issued_at = from_unix_seconds(*iat);
  if (const std::string* scope = string_claim(*payload, "scope")) claims.scope = *scope;
  if (const std::string* role = string_claim(*payload, "role")) claims.role = *role;
  if (const std::string* sid = string_claim(*payload, "sid")) claims.session_id = *sid;
  return claims;
}

}  // namespace latchkey
