// Negative JWT vectors against a real latchkeyd (issue 13; docs/security/jwt.md):
// each is sent as a bearer token and must be refused with 401, error
// invalid_token and a reason naming what is wrong. Tokens that need a valid
// signature (claim vectors, duplicate members, the twin) are signed with the
// server's own current key, read from its database; forged ones with a key
// of the test's own.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "integration/server_fixture.h"
#include "support/test_upstream.h"
#include "tokens/jws_es256.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";
// The order n of P-256 (SEC 2, FIPS 186-4 D.1.2.3).
constexpr const char* kP256OrderHex =
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

BnPtr bn_of_hex(const char* hex) {
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, hex);
  return BnPtr(bn, &BN_free);
}

BnPtr bn_of_bytes(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr),
               &BN_free);
}

std::string bytes_of(const BIGNUM* bn) {
  std::string out(32, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32);
  return out;
}

// The ECDSA twin (r, n - s) of a raw 64-byte r || s signature: it verifies
// under plain ECDSA, computed without any key.
std::string high_s_twin(const std::string& raw) {
  BnPtr n = bn_of_hex(kP256OrderHex);
  BnPtr s = bn_of_bytes(raw.substr(32));
  BnPtr twin(BN_new(), &BN_free);
  BN_sub(twin.get(), n.get(), s.get());
  return raw.substr(0, 32) + bytes_of(twin.get());
}

// The same signature DER-encoded (as OpenSSL emits it, not as JWS wants).
std::string der_of(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

Json decoded(const std::string& token, int index) {
  return Json::parse(*base64url_decode(segment(token, index)));
}

// A JWT from raw header and payload texts (so duplicate members and odd
// bytes survive), signed by `key` with ES256.
std::string sign_raw(const std::string& header, const std::string& payload, const Es256Key& key) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(*key.sign(input));
}

std::string sign_json(const Json& header, const Json& payload, const Es256Key& key) {
  return sign_raw(header.dump(), payload.dump(), key);
}

struct ServerKey {
  std::string kid;
  std::shared_ptr<const Es256Key> key;
};

// The server's current signing key, from its database (the test has the
// server's file-system access, as any holder of the data directory does).
std::optional<ServerKey> read_server_key(const std::string& data_dir) {
  sqlite3* db = nullptr;
  const std::string path = data_dir + "/db/latchkey.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return std::nullopt;
  }
  std::optional<ServerKey> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT kid, private_key_pem FROM signing_keys WHERE retired_at = 0 "
                         "ORDER BY created_at DESC LIMIT 1",
                         -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string kid = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const std::string pem = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    if (auto key = Es256Key::from_private_pem(pem)) {
      out = ServerKey{kid, std::make_shared<const Es256Key>(std::move(*key))};
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class JwtAttacks : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    owner_ = create_user_with_credentials("jwt-attack-owner", "service", true);
    owner_token_ = issue_token(owner_);
    HttpResult created = post("/api/v1/keys", {bearer_header(owner_token_), kJson},
                              R"({"name": "attacks", "scope": "write", "expires_in_days": 30})");
    ASSERT_EQ(created.status, 201) << created.body;
    api_key_ = json_of(created)["api_key"];
    key_id_ = json_of(created)["id"];
    access_token_ = exchange("/v2/auth/token/access", "");
    ASSERT_FALSE(access_token_.empty());
    auto key = read_server_key(server_->data_dir());
    ASSERT_TRUE(key) << "cannot read the server's signing key";
    server_key_ = *key;
    auto foreign = Es256Key::generate();
    ASSERT_TRUE(foreign);
    foreign_ = std::make_shared<const Es256Key>(std::move(*foreign));
    header_ = decoded(access_token_, 0);
    payload_ = decoded(access_token_, 1);
  }

  std::string exchange(const std::string& path, const std::string& session) {
    const std::string body =
        R"({"api_key": ")" + api_key_ + "\"" +
        (session.empty() ? std::string() : R"(, "session_id": ")" + session + "\"") + "}";
    HttpResult r = post(path, {kJson}, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }

  // A valid token's claims with `changes` merged in, signed by the server.
  std::string with_claims(const Json& changes) const {
    Json payload = payload_;
    payload.merge_patch(changes);
    return sign_json(header_, payload, *server_key_.key);
  }
  std::string with_header(const Json& changes, const Es256Key& key) const {
    Json header = header_;
    header.merge_patch(changes);
    return sign_json(header, payload_, key);
  }
  // The valid access token's header and payload with another signature.
  std::string with_signature(const std::string& signature) const {
    return segment(access_token_, 0) + "." + segment(access_token_, 1) + "." +
           base64url_encode(signature);
  }
  std::string raw_signature() const { return *base64url_decode(segment(access_token_, 2)); }

  // 401, invalid_token, the reason, on /api/v1/account/me.
  void expect_refused(const std::string& name, const std::string& token,
                      const std::string& reason) {
    SCOPED_TRACE(name);
    HttpResult r = me(token);
    EXPECT_EQ(r.status, 401) << r.body;
    const Json j = json_of(r);
    EXPECT_EQ(j.value("error", ""), "invalid_token") << r.body;
    EXPECT_EQ(j.value("reason", ""), reason) << r.body;
    EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos);
    ++refused_;
  }

  Credentials owner_;
  std::string owner_token_;
  std::string api_key_;
  std::string key_id_;
  std::string access_token_;
  ServerKey server_key_;
  std::shared_ptr<const Es256Key> foreign_;
  Json header_;
  Json payload_;
  int refused_ = 0;
};

// Test the controls first: the real token and one re-signed unchanged by the
// server's key (read from its database) are accepted, so that every refusal
// below is caused by the one thing each vector changes.
TEST_F(JwtAttacks, ControlsAreAccepted) {
  EXPECT_EQ(header_["typ"], "at+jwt");
  EXPECT_EQ(payload_["client_id"], key_id_);
  EXPECT_EQ(payload_["iss"], server_->url());
  ASSERT_EQ(me(access_token_).status, 200);
  EXPECT_EQ(me(with_claims(Json::object())).status, 200);
  EXPECT_EQ(me(with_header({{"typ", "application/AT+JWT"}}, *server_key_.key)).status, 200);
}

// Test signature and algorithm attacks: every form of a signature the
// server did not make in its one canonical spelling is refused.
TEST_F(JwtAttacks, SignatureAndAlgorithmVectors) {
  const std::string raw = raw_signature();
  ASSERT_EQ(raw.size(), 64u);
  expect_refused("high-S twin of an access token", with_signature(high_s_twin(raw)),
                 "bad_signature");
  const std::string session_token = exchange("/auth/login", "attack-session");
  const std::string session_raw = *base64url_decode(segment(session_token, 2));
  expect_refused("high-S twin of a session token",
                 segment(session_token, 0) + "." + segment(session_token, 1) + "." +
                     base64url_encode(high_s_twin(session_raw)),
                 "bad_signature");
  expect_refused("r = s = 0", with_signature(std::string(64, '\0')), "bad_signature");
  BnPtr n = bn_of_hex(kP256OrderHex);
  expect_refused("r = n", with_signature(bytes_of(n.get()) + raw.substr(32)), "bad_signature");
  expect_refused("s = n", with_signature(raw.substr(0, 32) + bytes_of(n.get())), "bad_signature");
  expect_refused("r = 2^256 - 1", with_signature(std::string(32, '\xff') + raw.substr(32)),
                 "bad_signature");
  expect_refused("DER-encoded signature", with_signature(der_of(raw)), "bad_signature");
  expect_refused("signature one byte short", with_signature(raw.substr(0, 63)), "bad_signature");
  expect_refused("valid signature by a foreign key under the server's kid",
                 sign_json(header_, payload_, *foreign_), "bad_signature");

  const std::string claims = segment(access_token_, 1);
  auto unsigned_with = [&](const std::string& alg, const std::string& signature) {
    Json header = header_;
    header["alg"] = alg;
    return base64url_encode(header.dump()) + "." + claims + "." + signature;
  };
  expect_refused("alg none, empty signature", unsigned_with("none", ""), "malformed");
  expect_refused("alg none with a signature", unsigned_with("none", "AAAA"),
                 "unsupported_algorithm");
  expect_refused("alg NONE", unsigned_with("NONE", "AAAA"), "unsupported_algorithm");
  expect_refused("alg es256 (case)", unsigned_with("es256", base64url_encode(raw)),
                 "unsupported_algorithm");
  {
    // HS256 with the published public key (the JWK) as the HMAC secret.
    Json header = header_;
    header["alg"] = "HS256";
    const std::string input = base64url_encode(header.dump()) + "." + claims;
    const std::string jwk = server_key_.key->public_jwk_json(server_key_.kid);
    expect_refused("HS256 keyed with the public JWK",
                   input + "." + base64url_encode(hmac_sha256(jwk, input)),
                   "unsupported_algorithm");
    const std::string xy =
        *base64url_decode(server_key_.key->jwk_x()) + *base64url_decode(server_key_.key->jwk_y());
    expect_refused("HS256 keyed with the public point",
                   input + "." + base64url_encode(hmac_sha256(xy, input)), "unsupported_algorithm");
  }
  Json no_alg = header_;
  no_alg.erase("alg");
  expect_refused("no alg", sign_json(no_alg, payload_, *server_key_.key), "unsupported_algorithm");
  EXPECT_EQ(refused_, 16);
}

// Test header attacks: keys named or carried by the sender, extensions,
// compression, the type, and hostile key ids.
TEST_F(JwtAttacks, HeaderVectors) {
  const Es256Key& own = *server_key_.key;  // so that only the header is wrong
  const Json foreign_jwk = Json::parse(foreign_->public_jwk_json("attacker"));
  expect_refused("jwk header (embedded attacker key)",
                 with_header({{"jwk", foreign_jwk}}, *foreign_), "unsupported_header");
  expect_refused("jku header", with_header({{"jku", "http://127.0.0.1:1/jwks.json"}}, own),
                 "unsupported_header");
  expect_refused("x5u header", with_header({{"x5u", "http://127.0.0.1:1/cert.pem"}}, own),
                 "unsupported_header");
  expect_refused("x5c header", with_header({{"x5c", Json::array({"MIIBszCCAVmgAwIBAgIU"})}}, own),
                 "unsupported_header");
  expect_refused("crit header", with_header({{"crit", Json::array({"exp"})}}, own),
                 "unsupported_header");
  expect_refused("zip header", with_header({{"zip", "DEF"}}, own), "unsupported_header");
  expect_refused("typ JWT (not an access token)", with_header({{"typ", "JWT"}}, own), "wrong_type");
  Json untyped = header_;
  untyped.erase("typ");
  expect_refused("no typ", sign_json(untyped, payload_, own), "wrong_type");
  expect_refused("kid path traversal", with_header({{"kid", "../../../../etc/passwd"}}, own),
                 "unknown_key");
  expect_refused("kid SQL", with_header({{"kid", "' OR '1'='1' --"}}, own), "unknown_key");
  // As long as a bearer header may be (1024 bytes, pipeline/credentials.h)
  // allows: the kid itself reaches the lookup.
  const std::string long_kid = with_header({{"kid", std::string(250, 'k')}}, own);
  ASSERT_LE(long_kid.size() + 7, 1024u);
  expect_refused("kid long", long_kid, "unknown_key");
  expect_refused("kid unknown", with_header({{"kid", "sk_unknown"}}, own), "unknown_key");
  expect_refused("kid not a string", with_header({{"kid", 7}}, own), "malformed");
  EXPECT_EQ(refused_, 13);
}

// Test claim attacks, each signed by the server's own key so that only the
// claim is wrong: issuer, audience, type confusion, missing claims.
TEST_F(JwtAttacks, ClaimVectors) {
  expect_refused("wrong iss", with_claims({{"iss", "https://evil.example"}}), "wrong_issuer");
  expect_refused("legacy iss latchkey", with_claims({{"iss", "latchkey"}}), "wrong_issuer");
  expect_refused("iss with a trailing slash", with_claims({{"iss", server_->url() + "/"}}),
                 "wrong_issuer");
  expect_refused("wrong aud", with_claims({{"aud", "someone-else"}}), "wrong_audience");
  expect_refused("aud array without us", with_claims({{"aud", Json::array({"a", "b"})}}),
                 "wrong_audience");
  expect_refused("client_id other than key_id", with_claims({{"client_id", "key_other"}}),
                 "malformed");
  expect_refused("no jti", with_claims({{"jti", nullptr}}), "malformed");
  expect_refused("no exp", with_claims({{"exp", nullptr}}), "malformed");
  expect_refused("exp a string", with_claims({{"exp", "9999999999"}}), "malformed");
  EXPECT_EQ(refused_, 9);
}

// Test exp and nbf exactly at their edges, on the server's test clock
// (POST /_test/clock/advance): there is no leeway, so a token is refused
// from the second its exp names and accepted from the second its nbf names.
// The server's "now" is read from a fresh token's iat; the margins (600 s)
// are far beyond the real time a test takes, so no outcome depends on
// timing.
TEST_F(JwtAttacks, ExpiryAndNotBeforeAtTheEdges) {
  const long long now = decoded(exchange("/v2/auth/token/access", ""), 1)["iat"];
  expect_refused("exp = issuance second", with_claims({{"iat", now}, {"exp", now}}), "expired");
  expect_refused("exp one second ago", with_claims({{"iat", now - 60}, {"exp", now - 1}}),
                 "expired");
  const std::string edge = with_claims({{"iat", now}, {"nbf", now + 600}, {"exp", now + 1200}});
  expect_refused("nbf in the future", edge, "not_yet_valid");
  expect_refused("nbf not an integer", with_claims({{"nbf", "soon"}}), "malformed");
  server_->advance_clock_seconds(600);  // now >= nbf, still < exp
  EXPECT_EQ(me(edge).status, 200);
  server_->advance_clock_seconds(600);  // now >= exp
  expect_refused("exp reached on the clock", edge, "expired");
  EXPECT_EQ(refused_, 5);
}

// Test encoding attacks: duplicate members (the last one would win in a
// lenient parser), non-UTF-8 bytes, oversized and truncated tokens.
TEST_F(JwtAttacks, EncodingVectors) {
  const Es256Key& own = *server_key_.key;
  const std::string payload = payload_.dump();
  // {"alg":"none",...,"alg":"ES256"}: a lenient parser sees ES256 only.
  expect_refused(
      "duplicate alg in header",
      sign_raw(R"({"alg":"none","typ":"at+jwt","kid":")" + server_key_.kid + R"(","alg":"ES256"})",
               payload, own),
      "duplicate_member");
  expect_refused(
      "duplicate kid in header",
      sign_raw(R"({"alg":"ES256","typ":"at+jwt","kid":"sk_x","kid":")" + server_key_.kid + "\"}",
               payload, own),
      "duplicate_member");
  // {"sub":"usr_admin",...,"sub":<the real owner>}
  std::string dup_payload = payload;
  dup_payload.insert(1, R"("sub":"usr_someone_else",)");
  expect_refused("duplicate sub in payload", sign_raw(header_.dump(), dup_payload, own),
                 "duplicate_member");
  std::string dup_exp = payload;
  dup_exp.insert(1, R"("exp":99999999999,)");
  expect_refused("duplicate exp in payload", sign_raw(header_.dump(), dup_exp, own),
                 "duplicate_member");
  std::string bad_utf8 = payload;
  bad_utf8.insert(1, "\"note\":\"\xff\xfe\",");
  expect_refused("non-UTF-8 bytes in payload", sign_raw(header_.dump(), bad_utf8, own),
                 "malformed");
  expect_refused(
      "non-UTF-8 bytes in header",
      sign_raw(R"({"alg":"ES256","typ":"at+jwt","kid":")" + server_key_.kid + "\xc0\xaf\"}",
               payload, own),
      "malformed");
  expect_refused("header not JSON", sign_raw("not json", payload, own), "malformed");
  // Over the 1024 bytes a bearer Authorization header may have: refused
  // before any decoding (a JWT elsewhere is capped at 8192 characters).
  expect_refused("oversized token", with_claims({{"pad", std::string(2000, 'p')}}), "malformed");
  expect_refused("oversized kid", with_header({{"kid", std::string(4000, 'k')}}, own), "malformed");
  const std::string h = segment(access_token_, 0);
  const std::string p = segment(access_token_, 1);
  const std::string s = segment(access_token_, 2);
  expect_refused("two segments", h + "." + p, "malformed");
  expect_refused("four segments", access_token_ + "." + s, "malformed");
  expect_refused("empty signature", h + "." + p + ".", "malformed");
  expect_refused("padded base64", access_token_ + "=", "malformed");
  expect_refused("non-base64url byte", h + "." + p + "." + s.substr(0, 10) + "+" + s.substr(11),
                 "malformed");
  EXPECT_EQ(refused_, 14);
}

// Test that the decision endpoint and introspection refuse the same way:
// a high-S twin and a foreign-key token get 401 on /v1/authorize and are
// inactive on /oauth/introspect.
TEST_F(JwtAttacks, AuthorizeAndIntrospectRefuseToo) {
  const std::string twin = with_signature(high_s_twin(raw_signature()));
  const std::string foreign = sign_json(header_, payload_, *foreign_);
  for (const std::string& token : {twin, foreign}) {
    HttpResult r = post("/v1/authorize", {bearer_header(token), kJson}, "{}");
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_of(r).value("reason", ""), "bad_signature") << r.body;
    HttpResult i = post("/oauth/introspect",
                        {"Content-Type: application/x-www-form-urlencoded",
                         basic_header(owner_.client_id, owner_.client_secret)},
                        "token=" + token);
    ASSERT_EQ(i.status, 200) << i.body;
    EXPECT_EQ(json_of(i)["active"], false);
  }
}

// Test issue 13 item 1: a revoked session's token AND its high-S twin are
// refused (401 revoked / bad_signature), inactive on introspection, and
// still after latchkeyd restarts; the revocation is by the session and the
// token's jti, so no spelling of the token escapes it.
TEST_F(JwtAttacks, RevokedSessionAndItsTwinStayRefusedAcrossRestart) {
  const std::string token = exchange("/auth/login", "doomed");
  const std::string twin = segment(token, 0) + "." + segment(token, 1) + "." +
                           base64url_encode(high_s_twin(*base64url_decode(segment(token, 2))));
  ASSERT_EQ(me(token).status, 200);
  // The same claims re-signed by the server's key: a second valid spelling
  // (ECDSA signatures are randomized), refused by jti and session.
  const std::string respelled = sign_raw(*base64url_decode(segment(token, 0)),
                                         *base64url_decode(segment(token, 1)), *server_key_.key);
  ASSERT_NE(respelled, token);
  ASSERT_EQ(me(respelled).status, 200);

  HttpResult revoked =
      send("DELETE", "/api/v1/keys/" + key_id_ + "/sessions/doomed", {bearer_header(owner_token_)});
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    expect_refused("revoked session token", token, "revoked");
    expect_refused("its re-signed spelling", respelled, "revoked");
    expect_refused("its high-S twin", twin, "bad_signature");
    for (const std::string& t : {token, twin, respelled}) {
      HttpResult i = post("/oauth/introspect",
                          {"Content-Type: application/x-www-form-urlencoded",
                           basic_header(owner_.client_id, owner_.client_secret)},
                          "token=" + t);
      ASSERT_EQ(i.status, 200) << i.body;
      EXPECT_EQ(json_of(i)["active"], false);
      HttpResult a = post("/v1/authorize", {bearer_header(t), kJson}, "{}");
      EXPECT_EQ(a.status, 401) << a.body;
    }
  };
  check("before restart");
  server_->restart();
  check("after restart");
  // A new session of the same key works; the revoked one stays closed.
  EXPECT_EQ(me(exchange("/auth/login", "next")).status, 200);
  EXPECT_EQ(
      post("/auth/login", {kJson}, R"({"api_key": ")" + api_key_ + R"(", "session_id": "doomed"})")
          .status,
      409);
}

// Test that an OAuth token revoked by RFC 7009 stays refused in another
// spelling (re-signed claims with the same jti), and after a restart.
TEST_F(JwtAttacks, RevokedJtiRefusedInAnySpellingAcrossRestart) {
  const std::string basic = basic_header(owner_.client_id, owner_.client_secret);
  HttpResult issued =
      post("/oauth/token", {"Content-Type: application/x-www-form-urlencoded", basic},
           "grant_type=client_credentials");
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json_of(issued)["access_token"];
  const Json header = decoded(token, 0);
  EXPECT_EQ(header["typ"], "at+jwt");
  EXPECT_EQ(decoded(token, 1)["client_id"], owner_.client_id);
  const std::string respelled = sign_raw(*base64url_decode(segment(token, 0)),
                                         *base64url_decode(segment(token, 1)), *server_key_.key);
  ASSERT_EQ(me(respelled).status, 200);
  ASSERT_EQ(post("/oauth/revoke", {"Content-Type: application/x-www-form-urlencoded", basic},
                 "token=" + token)
                .status,
            200);
  expect_refused("revoked OAuth token", token, "revoked");
  expect_refused("its re-signed spelling", respelled, "revoked");
  server_->restart();
  expect_refused("revoked OAuth token after restart", token, "revoked");
  expect_refused("its re-signed spelling after restart", respelled, "revoked");
}

// A gateway route in front of a test upstream (docs/gateway.md).
class JwtAttacksGateway : public JwtAttacks {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<TestUpstream>();
    JwtAttacks::SetUp();
  }
  void TearDown() override {
    std::remove(config_path_.c_str());
    server_.reset();  // latchkeyd first: it holds connections to the upstream
    upstream_.reset();
  }
  std::vector<std::string> server_args() override {
    config_path_ =
        ::testing::TempDir() + "/latchkey-jwt-attacks-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << "[[gateway_routes]]\nmethod = \"GET\"\npath = \"/echo/{x}\"\n"
                                   "upstream = \""
                                << upstream_->url() << "\"\naction = \"authenticated\"\n";
    return {"--config", config_path_};
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::string config_path_;
};

// Test that a gateway route refuses a high-S twin, a foreign key's token
// and a header-borne key with 401 and the reason, and that none of them
// reaches the upstream; the valid token does.
TEST_F(JwtAttacksGateway, ForgedTokensNeverReachTheUpstream) {
  const std::string twin = with_signature(high_s_twin(raw_signature()));
  const std::string foreign = sign_json(header_, payload_, *foreign_);
  const Json foreign_jwk = Json::parse(foreign_->public_jwk_json("attacker"));
  const std::string embedded = with_header({{"jwk", foreign_jwk}}, *foreign_);
  for (const auto& [token, reason] : std::vector<std::pair<std::string, std::string>>{
           {twin, "bad_signature"}, {foreign, "bad_signature"}, {embedded, "unsupported_header"}}) {
    HttpResult r = get("/echo/x", {bearer_header(token)});
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_of(r).value("reason", ""), reason) << r.body;
  }
  EXPECT_TRUE(upstream_->requests().empty());
  EXPECT_EQ(get("/echo/x", {bearer_header(access_token_)}).status, 200);
  EXPECT_EQ(upstream_->requests().size(), 1u);
}

}  // namespace
}  // namespace latchkey::testing
