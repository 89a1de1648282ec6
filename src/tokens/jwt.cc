#include "tokens/jwt.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

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

bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

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

enum class Decoded { kOk, kNotJson, kDuplicateMember };

// The segment as a JSON object. nlohmann keeps the last of two members with
// one name; a JOSE header or claims set with duplicates is refused instead
// (RFC 7515 §4, RFC 7519 §4, RFC 8725 §3.1). The parser callback sees every
// key once: a stack of the names seen per open object finds repeats (the
// objects are small, so a linear scan beats hashing).
Decoded decode_object(std::string_view segment, Json& out) {
  auto bytes = base64url_decode(segment);
  if (!bytes) return Decoded::kNotJson;
  std::vector<std::vector<std::string>> open_objects;
  bool duplicate = false;
  const Json::parser_callback_t check = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string()) {
          auto& names = open_objects.back();
          const auto& name = parsed.get_ref<const std::string&>();
          if (std::find(names.begin(), names.end(), name) != names.end()) duplicate = true;
          names.push_back(name);
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json json = Json::parse(*bytes, check, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Decoded::kNotJson;
  if (duplicate) return Decoded::kDuplicateMember;
  out = std::move(json);
  return Decoded::kOk;
}

Error duplicate_member(std::string_view part) {
  return refuse("duplicate_member",
                "the bearer JWT " + std::string(part) + " has a member name twice");
}

// RFC 9068 §4: typ is "at+jwt", or the full media type; compared without
// regard to case (RFC 7515 §4.1.9).
bool is_access_token_type(std::string_view typ) {
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && ascii_iequals(typ.substr(0, kPrefix.size()), kPrefix)) {
    typ.remove_prefix(kPrefix.size());
  }
  return ascii_iequals(typ, kAccessTokenType);
}

// The header members latchkey writes. Anything else is refused rather than
// ignored: jwk/jku/x5u/x5c would name a key of the sender's choosing, zip
// asks for decompression, crit for extensions we do not implement, and no
// token this server issued ever carries them.
bool is_known_header_member(std::string_view name) {
  return name == "alg" || name == "typ" || name == "kid";
}

const std::string* string_claim(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::optional<std::int64_t> int_claim(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
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

std::optional<StoredJwtFacts> read_stored_jwt(std::string_view token) {
  const auto segments = split(token);
  if (!segments) return std::nullopt;
  Json header;
  Json payload;
  if (decode_object(segments->header, header) != Decoded::kOk ||
      decode_object(segments->payload, payload) != Decoded::kOk) {
    return std::nullopt;
  }
  StoredJwtFacts facts;
  if (const std::string* typ = string_claim(header, "typ")) facts.typ = *typ;
  if (const std::string* iss = string_claim(payload, "iss")) facts.issuer = *iss;
  if (const std::string* jti = string_claim(payload, "jti")) facts.jwt_id = *jti;
  facts.has_client_id = string_claim(payload, "client_id") != nullptr;
  return facts;
}

Result<std::string> encode_jwt(const JwtClaims& claims, std::string_view kid, const Es256Key& key) {
  Json header = {{"alg", "ES256"}, {"typ", kAccessTokenType}, {"kid", kid}};
  Json payload = {{"iss", claims.issuer},
                  {"aud", claims.audience},
                  {"sub", claims.subject},
                  {"scope", claims.scope},
                  {"iat", unix_seconds(claims.issued_at)},
                  {"exp", unix_seconds(claims.expires_at)},
                  {"jti", claims.jwt_id},
                  // RFC 9068 §2.2: the client the token was issued to; for a
                  // token exchanged for an API key, that key.
                  {"client_id", claims.client_id.empty() ? claims.key_id : claims.client_id}};
  if (claims.grant.empty()) {
    payload["key_id"] = claims.key_id;
    payload["role"] = claims.role;
  } else {  // OAuth client credentials: no key behind the token
    payload["gty"] = claims.grant;
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
  Json header_json;
  switch (decode_object(segments->header, header_json)) {
    case Decoded::kOk:
      break;
    case Decoded::kNotJson:
      return fail(malformed("header is not base64url JSON"));
    case Decoded::kDuplicateMember:
      return fail(duplicate_member("header"));
  }
  const Json* header = &header_json;

  // The algorithm is pinned: the header only selects the key, never the algorithm.
  const std::string* alg = string_claim(*header, "alg");
  if (alg == nullptr || *alg != "ES256") {
    return fail(refuse("unsupported_algorithm", "only ES256 JWTs are accepted"));
  }
  for (const auto& member : header->items()) {
    if (!is_known_header_member(member.key())) {
      return fail(refuse("unsupported_header",
                         "the bearer JWT header may carry only alg, typ and kid (no crit, jwk, "
                         "jku, x5u, x5c, zip, ...)"));
    }
  }
  // Explicit typing (RFC 8725 §3.11, RFC 9068 §4): only access tokens.
  const std::string* typ = string_claim(*header, "typ");
  if (typ == nullptr || !is_access_token_type(*typ)) {
    return fail(refuse("wrong_type", "the bearer JWT is not an access token (typ at+jwt)"));
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

  Json payload_json;
  switch (decode_object(segments->payload, payload_json)) {
    case Decoded::kOk:
      break;
    case Decoded::kNotJson:
      return fail(malformed("payload is not base64url JSON"));
    case Decoded::kDuplicateMember:
      return fail(duplicate_member("payload"));
  }
  const Json* payload = &payload_json;
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
  if (!exp || !iat || sub == nullptr || key_id == nullptr || jti == nullptr ||
      client_id == nullptr) {
    return fail(malformed("lacks a required claim (exp, iat, sub, key_id, client_id, jti)"));
  }
  // A key's token names the key as its client (RFC 9068 §2.2).
  if (gty == nullptr && *client_id != *key_id) {
    return fail(malformed("names a client_id other than its key_id"));
  }
  if (const auto nbf = payload->find("nbf"); nbf != payload->end()) {
    if (!nbf->is_number_integer()) return fail(malformed("has a non-integer nbf"));
    if (expect.now < from_unix_seconds(nbf->get<std::int64_t>())) {
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
    claims.client_id = *client_id;
  }
  claims.jwt_id = *jti;
  claims.issued_at = from_unix_seconds(*iat);
  if (const std::string* scope = string_claim(*payload, "scope")) claims.scope = *scope;
  if (const std::string* role = string_claim(*payload, "role")) claims.role = *role;
  if (const std::string* sid = string_claim(*payload, "sid")) claims.session_id = *sid;
  return claims;
}

}  // namespace latchkey
