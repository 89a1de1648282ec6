// Tests of ES256 JWT encoding and the pinned-algorithm verification
// (tokens/jwt.h, tokens/jws_es256.h).
#include "tokens/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "tokens/jws_es256.h"

namespace latchkey {
namespace {

using std::chrono::seconds;

const Instant kNow = Instant{seconds(1'795'000'000)};

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Es256Key::generate();
    ASSERT_TRUE(k);
    key_ = std::make_shared<const Es256Key>(std::move(*k));
    auto o = Es256Key::generate();
    ASSERT_TRUE(o);
    other_ = std::make_shared<const Es256Key>(std::move(*o));
  }

  JwtClaims claims() const {
    JwtClaims c;
    c.issuer = "latchkey";
    c.audience = "latchkey-api";
    c.subject = "usr_1";
    c.key_id = "key_1";
    c.scope = "read";
    c.role = "rol_1";
    c.session_id = "s1";
    c.issued_at = kNow;
    c.expires_at = kNow + seconds(900);
    c.jwt_id = "jti_1";
    return c;
  }

  std::string sign(const JwtClaims& c, std::string_view kid = "sk_1") const {
    auto t = encode_jwt(c, kid, *key_);
    EXPECT_TRUE(t);
    return *t;
  }

  JwtKeyLookup lookup() const {
    return [this](std::string_view kid) -> std::shared_ptr<const Es256Key> {
      return kid == "sk_1" ? key_ : nullptr;
    };
  }

  Result<JwtClaims> verify(std::string_view token, Instant now = kNow) const {
    return verify_jwt(token, lookup(), JwtExpectations{"latchkey", "latchkey-api", now});
  }

  static std::string reason_of(const Result<JwtClaims>& r) {
    EXPECT_FALSE(r);
    if (r) return "accepted";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidToken);
    return r.error().reason;
  }

  // header.payload.signature with a hand-made header and payload.
  static std::string assemble(const nlohmann::json& header, const nlohmann::json& payload,
                              std::string_view signature) {
    return base64url_encode(header.dump()) + "." + base64url_encode(payload.dump()) + "." +
           base64url_encode(signature);
  }

  nlohmann::json payload_of(const std::string& token) const {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    return nlohmann::json::parse(*base64url_decode(token.substr(first + 1, second - first - 1)));
  }

  std::shared_ptr<const Es256Key> key_;
  std::shared_ptr<const Es256Key> other_;
};

// Test that a signed token verifies and yields the claims it was made with.
TEST_F(JwtTest, SignVerifyRoundTrip) {
  const std::string token = sign(claims());
  auto verified = verify(token);
  ASSERT_TRUE(verified) << verified.error().description;
  EXPECT_EQ(verified->subject, "usr_1");
  EXPECT_EQ(verified->key_id, "key_1");
  EXPECT_EQ(verified->scope, "read");
  EXPECT_EQ(verified->role, "rol_1");
  EXPECT_EQ(verified->session_id, "s1");
  EXPECT_EQ(verified->issued_at, kNow);
  EXPECT_EQ(verified->expires_at, kNow + seconds(900));
  EXPECT_EQ(verified->jwt_id, "jti_1");
}

// Test that the header carries alg ES256, typ at+jwt (RFC 9068) and the
// kid, the claims include client_id, and the signature is the 64-byte r||s
// form.
TEST_F(JwtTest, HeaderAndSignatureShape) {
  const std::string token = sign(claims());
  const auto header = nlohmann::json::parse(*base64url_decode(token.substr(0, token.find('.'))));
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "at+jwt");
  EXPECT_EQ(header["kid"], "sk_1");
  EXPECT_EQ(header.size(), 3u);
  const auto signature = base64url_decode(token.substr(token.rfind('.') + 1));
  ASSERT_TRUE(signature);
  EXPECT_EQ(signature->size(), 64u);
  const auto payload = payload_of(token);
  for (const char* claim :
       {"iss", "aud", "sub", "key_id", "client_id", "scope", "role", "iat", "exp", "jti"}) {
    EXPECT_TRUE(payload.contains(claim)) << claim;
  }
  EXPECT_EQ(payload["client_id"], "key_1");  // a key's token: the key is the client
}

// Test that signatures are malleable no more: every signature is emitted in
// the low-s form, and the high-s twin (r, n - s) of a valid token, which any
// holder could compute without the key, is refused. (A revoked login token
// must not keep working in a second spelling.)
TEST_F(JwtTest, HighSTwinRefusedAndOnlyLowSEmitted) {
  // floor(n / 2) and n of P-256, big-endian, as 64-digit hex.
  const std::string half = "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8";
  const std::string order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  auto hex_of = [](std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  };
  // n - s, on 32 big-endian bytes.
  auto twin_of = [&](std::string_view s) {
    std::string out(32, '\0');
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
      const int n = std::stoi(order.substr(2 * static_cast<std::size_t>(i), 2), nullptr, 16);
      int d = n - static_cast<unsigned char>(s[static_cast<std::size_t>(i)]) - borrow;
      borrow = d < 0 ? 1 : 0;
      out[static_cast<std::size_t>(i)] = static_cast<char>(d < 0 ? d + 256 : d);
    }
    return out;
  };
  for (int i = 0; i < 40; ++i) {
    JwtClaims c = claims();
    c.jwt_id = "jti_" + std::to_string(i);
    const std::string token = sign(c);
    const std::string head = token.substr(0, token.rfind('.'));
    const std::string sig = *base64url_decode(token.substr(token.rfind('.') + 1));
    ASSERT_LE(hex_of(sig.substr(32)), half) << i;  // emitted low
    ASSERT_TRUE(verify(token)) << i;
    const std::string twin = sig.substr(0, 32) + twin_of(sig.substr(32));
    ASSERT_GT(hex_of(twin.substr(32)), half);
    EXPECT_EQ(reason_of(verify(head + "." + base64url_encode(twin))), "bad_signature") << i;
    // The key itself refuses the twin too.
    EXPECT_FALSE(key_->verify(head, twin));
    EXPECT_TRUE(key_->verify(head, sig));
  }
}

// Test that a flipped signature bit, another key's signature and a changed
// payload under the original signature are all refused.
TEST_F(JwtTest, ForgedSignaturesRefused) {
  const std::string token = sign(claims());
  const std::string head = token.substr(0, token.rfind('.'));
  std::string sig = *base64url_decode(token.substr(token.rfind('.') + 1));
  sig[10] ^= 0x01;
  EXPECT_EQ(reason_of(verify(head + "." + base64url_encode(sig))), "bad_signature");

  auto by_other = encode_jwt(claims(), "sk_1", *other_);
  ASSERT_TRUE(by_other);
  EXPECT_EQ(reason_of(verify(*by_other)), "bad_signature");

  JwtClaims admin = claims();
  admin.subject = "usr_admin";
  const std::string forged_payload = sign(admin);
  const std::string spliced =
      forged_payload.substr(0, forged_payload.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_EQ(reason_of(verify(spliced)), "bad_signature");

  // A DER-encoded signature is not the JWS form.
  EXPECT_EQ(reason_of(verify(head + "." + base64url_encode(std::string(71, '\x30')))),
            "bad_signature");
}

// Test that alg "none" (with or without a signature segment) is refused.
TEST_F(JwtTest, AlgNoneRefused) {
  const auto payload = payload_of(sign(claims()));
  for (const char* alg : {"none", "None", "NONE"}) {
    const nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}, {"kid", "sk_1"}};
    EXPECT_EQ(reason_of(verify(assemble(header, payload, "x"))), "unsupported_algorithm");
    const std::string unsigned_token =
        base64url_encode(header.dump()) + "." + base64url_encode(payload.dump()) + ".";
    EXPECT_EQ(reason_of(verify(unsigned_token)), "malformed");
  }
  const nlohmann::json no_alg = {{"typ", "JWT"}, {"kid", "sk_1"}};
  EXPECT_EQ(reason_of(verify(assemble(no_alg, payload, "x"))), "unsupported_algorithm");
}

// Test that HS256 signed with the public key (JWK or its coordinates) as the
// HMAC secret — the algorithm-confusion attack — is refused.
TEST_F(JwtTest, Hs256WithPublicKeyAsSecretRefused) {
  const auto payload = payload_of(sign(claims()));
  for (const char* alg : {"HS256", "RS256", "ES384", "PS256", "EdDSA"}) {
    const nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}, {"kid", "sk_1"}};
    const std::string input =
        base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
    const std::string secret = key_->public_jwk_json("sk_1");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
    const std::string token =
        input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_len));
    EXPECT_EQ(reason_of(verify(token)), "unsupported_algorithm") << alg;
  }
}

// Test that a kid the ring does not know is refused, as is a missing kid.
TEST_F(JwtTest, UnknownKidRefused) {
  EXPECT_EQ(reason_of(verify(sign(claims(), "sk_gone"))), "unknown_key");
  const auto payload = payload_of(sign(claims()));
  EXPECT_EQ(reason_of(verify(assemble({{"alg", "ES256"}, {"typ", "at+jwt"}}, payload, "x"))),
            "malformed");
}

// Test that wrong iss and wrong aud are refused; an aud array that
// contains the audience is accepted.
TEST_F(JwtTest, WrongIssuerAndAudienceRefused) {
  JwtClaims c = claims();
  c.issuer = "someone-else";
  EXPECT_EQ(reason_of(verify(sign(c))), "wrong_issuer");
  c = claims();
  c.audience = "other-api";
  EXPECT_EQ(reason_of(verify(sign(c))), "wrong_audience");
}

// Test that a token is valid until one second before exp and refused from exp on.
TEST_F(JwtTest, ExpiredRefused) {
  const std::string token = sign(claims());
  EXPECT_TRUE(verify(token, kNow + seconds(899)));
  auto expired = verify(token, kNow + seconds(900));
  EXPECT_EQ(reason_of(expired), "expired");
  EXPECT_EQ(reason_of(verify(token, kNow + seconds(100000))), "expired");
}

// Test that malformed tokens of every shape are refused as malformed, never crash.
TEST_F(JwtTest, MalformedSegmentsRefused) {
  const std::string token = sign(claims());
  const std::string head = token.substr(0, token.find('.'));
  for (const std::string& bad :
       {std::string(""), std::string("abc"), std::string("a.b"), std::string(".."),
        std::string("a.b.c.d"), token + ".x", "." + token, std::string("!!!.b.c"),
        head + ".@@@." + "sig", std::string("e30.e30.e30"), std::string("bnVsbA.e30.e30"),
        base64url_encode("{\"alg\":\"ES256\"") + ".e30.e30", std::string(9000, 'a')}) {
    auto r = verify(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidToken) << bad;
  }
  EXPECT_EQ(reason_of(verify("a.b")), "malformed");
  EXPECT_EQ(reason_of(verify("a.b.c.d")), "malformed");
  EXPECT_FALSE(has_jwt_shape("a.b"));
  EXPECT_FALSE(has_jwt_shape("lk_at_abc"));
  EXPECT_TRUE(has_jwt_shape(token));
}

// Test that a payload without required claims is refused after the signature checks.
TEST_F(JwtTest, MissingClaimsRefused) {
  const nlohmann::json header = {{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "sk_1"}};
  const nlohmann::json payload = {{"iss", "latchkey"}, {"aud", "latchkey-api"}, {"sub", "u"}};
  const std::string input =
      base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  auto sig = key_->sign(input);
  ASSERT_TRUE(sig);
  EXPECT_EQ(reason_of(verify(input + "." + base64url_encode(*sig))), "malformed");
}

// Signs a hand-made header and payload (raw text) with `key`.
std::string sign_raw(const std::string& header, const std::string& payload, const Es256Key& key) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(*key.sign(input));
}

// Test that a header member other than alg, typ, kid is refused, even when
// the token is otherwise valid and signed by the right key (RFC 8725 §3.10:
// no key named or carried by the sender; no crit, no zip).
TEST_F(JwtTest, UnknownHeaderMembersRefused) {
  const std::string payload = payload_of(sign(claims())).dump();
  for (const char* member : {"jwk", "jku", "x5u", "x5c", "x5t", "crit", "zip", "cty", "b64"}) {
    nlohmann::json header = {{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "sk_1"}};
    header[member] = "x";
    EXPECT_EQ(reason_of(verify(sign_raw(header.dump(), payload, *key_))), "unsupported_header")
        << member;
  }
}

// Test explicit typing: at+jwt in any case, with or without application/,
// is accepted; JWT, a missing typ or another type is wrong_type.
TEST_F(JwtTest, TypMustBeAccessToken) {
  const std::string payload = payload_of(sign(claims())).dump();
  auto with_typ = [&](const nlohmann::json& typ) {
    nlohmann::json header = {{"alg", "ES256"}, {"kid", "sk_1"}};
    if (!typ.is_null()) header["typ"] = typ;
    return verify(sign_raw(header.dump(), payload, *key_));
  };
  for (const char* ok : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt"}) {
    EXPECT_TRUE(with_typ(ok)) << ok;
  }
  for (const nlohmann::json& bad :
       {nlohmann::json("JWT"), nlohmann::json("jwt"), nlohmann::json("application/jwt"),
        nlohmann::json("secevent+jwt"), nlohmann::json("application/"), nlohmann::json(1),
        nlohmann::json()}) {
    EXPECT_EQ(reason_of(with_typ(bad)), "wrong_type") << bad.dump();
  }
}

// Test that a member name twice in the header or the payload is refused
// (nlohmann alone would keep the last), at any depth, while the same name in
// two different objects is fine.
TEST_F(JwtTest, DuplicateMembersRefused) {
  const std::string header = R"({"alg":"ES256","typ":"at+jwt","kid":"sk_1"})";
  std::string payload = payload_of(sign(claims())).dump();
  ASSERT_TRUE(verify(sign_raw(header, payload, *key_)));
  EXPECT_EQ(reason_of(verify(sign_raw(R"({"alg":"none","typ":"at+jwt","kid":"sk_1","alg":"ES256"})",
                                      payload, *key_))),
            "duplicate_member");
  std::string dup_sub = payload;
  dup_sub.insert(1, R"("sub":"usr_admin",)");
  EXPECT_EQ(reason_of(verify(sign_raw(header, dup_sub, *key_))), "duplicate_member");
  std::string nested = payload;
  nested.insert(1, R"("ext":{"a":1,"a":2},)");
  EXPECT_EQ(reason_of(verify(sign_raw(header, nested, *key_))), "duplicate_member");
  std::string distinct = payload;
  distinct.insert(1, R"("ext":{"a":1,"b":{"a":2}},"ext2":[{"a":1},{"a":1}],)");
  EXPECT_TRUE(verify(sign_raw(header, distinct, *key_)));
}

// Test that a key's token must name its key as client_id, and that every
// token needs a client_id (RFC 9068 §2.2).
TEST_F(JwtTest, ClientIdRequiredAndMatchesKey) {
  nlohmann::json payload = payload_of(sign(claims()));
  const std::string header = R"({"alg":"ES256","typ":"at+jwt","kid":"sk_1"})";
  payload["client_id"] = "key_other";
  EXPECT_EQ(reason_of(verify(sign_raw(header, payload.dump(), *key_))), "malformed");
  payload.erase("client_id");
  EXPECT_EQ(reason_of(verify(sign_raw(header, payload.dump(), *key_))), "malformed");
  auto verified = verify(sign(claims()));
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->client_id, "key_1");
}

// Test nbf at its edge: refused until the second it names, accepted from it.
TEST_F(JwtTest, NotBeforeEdge) {
  nlohmann::json payload = payload_of(sign(claims()));
  payload["nbf"] = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count() + 10;
  const std::string token =
      sign_raw(R"({"alg":"ES256","typ":"at+jwt","kid":"sk_1"})", payload.dump(), *key_);
  EXPECT_EQ(reason_of(verify(token, kNow + seconds(9))), "not_yet_valid");
  EXPECT_TRUE(verify(token, kNow + seconds(10)));
}

// Test that a stored token's own facts are read without verification (for
// the session store's tokens only), and garbage yields nothing.
TEST_F(JwtTest, ReadStoredJwt) {
  const auto facts = read_stored_jwt(sign(claims()));
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->typ, "at+jwt");
  EXPECT_EQ(facts->issuer, "latchkey");
  EXPECT_EQ(facts->jwt_id, "jti_1");
  EXPECT_TRUE(facts->has_client_id);
  EXPECT_FALSE(read_stored_jwt("a.b.c"));
  EXPECT_FALSE(read_stored_jwt("garbage"));
}

// Test base64url: round trip, no padding, canonical form only.
TEST(Base64UrlTest, RoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    auto back = base64url_decode(base64url_encode(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zh"));  // non-zero unused bits
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("a+b/"));
}

// Test that a key survives its PEM form and refuses non-P-256 keys.
TEST(Es256KeyTest, PemRoundTrip) {
  auto key = Es256Key::generate();
  ASSERT_TRUE(key);
  auto again = Es256Key::from_private_pem(key->private_pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->jwk_x(), key->jwk_x());
  auto sig = key->sign("hello");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(again->verify("hello", *sig));
  EXPECT_FALSE(again->verify("hellO", *sig));
  EXPECT_FALSE(Es256Key::from_private_pem("not a pem"));
}

}  // namespace
}  // namespace latchkey
