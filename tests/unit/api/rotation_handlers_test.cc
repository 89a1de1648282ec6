// The rotation handlers (docs/rotation.md) through the real router and
// pipeline, without sockets, on a FakeClock: the reset's optional body,
// retire-previous, the reroll's answer, and the events they publish
// (secret.rotated, key.rerolled) to a recording sink. Publishing never
// fails the request.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "api/routes.h"
#include "core/encoding.h"
#include "events/event_sink.h"
#include "keys/key_service.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::api {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;

class RecordingSink final : public events::EventSink {
 public:
  Status publish(const events::Event& event) override {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    if (failing) return fail(Error::unavailable("outbox is full"));
    return {};
  }
  std::vector<events::Event> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  bool failing = false;

 private:
  std::mutex mu_;
  std::vector<events::Event> events_;
};

std::string field(const events::Event& e, std::string_view name) {
  for (const auto& [k, v] : e.data) {
    if (k == name) return v;
  }
  return "<absent>";
}

std::string basic(const std::string& id, const std::string& secret) {
  return "Basic " + base64_encode(id + ":" + secret);
}

class RotationHandlers : public ::testing::Test {
 protected:
  RotationHandlers()
      : dir_(make_dir()),
        store_(std::move(*open_sqlite_store({.data_dir = dir_}))),
        tokens_(*store_, cache_, clock_, random_, {}),
        clients_(*store_, clock_),
        users_(*store_, clock_, random_,
               [this](std::string_view id) {
                 clients_.forget_user(id);
                 tokens_.forget_user(id);
               }),
        keys_(store_->keys(), clock_, random_),
        ctx_{*store_, clock_, clients_, tokens_, users_, nullptr} {
    ctx_.keys = &keys_;
    ctx_.events = &sink_;
    router_ = build_router(ctx_);
    auto pending = users_.prepare_bootstrap_admin("admin");
    admin_ = (*pending)->issued;
    (*pending)->console_password_hash = "$argon2id$v=19$m=65536,t=2,p=1$placeholder";
    EXPECT_TRUE(users_.commit_bootstrap_admin(**pending));
    admin_token_ = token_of(admin_.client_id, admin_.client_secret);
  }
  ~RotationHandlers() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::string make_dir() {
    char tmpl[] = "/tmp/latchkey-rotation-handlers-XXXXXX";
    return mkdtemp(tmpl);
  }

  http::Response call(const std::string& method, const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string body = {}) {
    http::Request request;
    request.method = method;
    request.target = target;
    request.body = std::move(body);
    request.remote_ip = "127.0.0.1";
    request.peer_ip = "127.0.0.1";
    for (const auto& [k, v] : headers) request.add_header(k, v);
    if (!request.body.empty()) request.add_header("Content-Type", "application/json");
    const http::Router::Match match = router_.match(method, request.path());
    EXPECT_NE(match.handler, nullptr) << method << " " << target;
    if (match.handler == nullptr) return http::Response{};
    return (*match.handler)(request, match.params);
  }
  std::string token_of(const std::string& client_id, const std::string& secret) {
    http::Response r =
        call("POST", "/api/v1/account/token", {{"Authorization", basic(client_id, secret)}});
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false).value("access_token", "");
  }
  std::pair<std::string, std::string> bearer(const std::string& token) const {
    return {"Authorization", "Bearer " + token};
  }
  // A service account with credentials, reset by the admin.
  IssuedClientCredential service_account() {
    auto user =
        users_.create(Principal{.user_id = admin_.user_id, .modules = {std::string(kModuleAdmin)}},
                      {"svc", UserType::kService, true});
    EXPECT_TRUE(user);
    http::Response r =
        call("POST", "/api/v1/users/" + user->id + "/access-key", {bearer(admin_token_)});
    EXPECT_EQ(r.status, 200) << r.body;
    const Json j = Json::parse(r.body, nullptr, false);
    IssuedClientCredential c;
    c.user_id = user->id;
    c.client_id = j.value("client_id", "");
    c.client_secret = j.value("client_secret", "");
    return c;
  }

  std::string dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  std::unique_ptr<Store> store_;
  AccountTokenCache cache_;
  AccountTokenService tokens_;
  ClientAuthenticator clients_;
  UserService users_;
  keys::KeyService keys_;
  RecordingSink sink_;
  ApiContext ctx_;
  http::Router router_;
  IssuedClientCredential admin_;
  std::string admin_token_;
};

// Test that a reset with an overlap answers when the old secret lapses and
// publishes secret.rotated with client, user and that time; a first
// enrolment publishes nothing.
TEST_F(RotationHandlers, ResetWithOverlapPublishesSecretRotated) {
  const IssuedClientCredential svc = service_account();
  EXPECT_TRUE(sink_.events().empty());  // the first secret is not a rotation
  http::Response r = call("POST", "/api/v1/users/" + svc.user_id + "/access-key",
                          {bearer(admin_token_)}, R"({"previous_valid_for_seconds": 90})");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = Json::parse(r.body);
  const std::string lapse = format_rfc3339(clock_.now() + seconds(90));
  EXPECT_EQ(j.value("previous_secret_expires_at", ""), lapse);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  const auto published = sink_.events();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].type, events::EventType::kSecretRotated);
  EXPECT_EQ(field(published[0], "client_id"), svc.client_id);
  EXPECT_EQ(field(published[0], "user_id"), svc.user_id);
  EXPECT_EQ(field(published[0], "previous_expires_at"), lapse);
  for (const auto& [k, v] : published[0].data) {
    EXPECT_EQ(v.find("lk_sec_"), std::string::npos) << k;  // never a secret
  }
}

// Test that without a body the answer has exactly seed 000's fields, and
// that the event says the old secret ended at the reset.
TEST_F(RotationHandlers, ResetWithoutBodyAnswersAsBefore) {
  const IssuedClientCredential svc = service_account();
  http::Response r =
      call("POST", "/api/v1/users/" + svc.user_id + "/access-key", {bearer(admin_token_)});
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> keys;
  const Json answer = Json::parse(r.body);
  for (const auto& [k, v] : answer.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"user_id", "client_id", "client_secret"}));
  ASSERT_EQ(sink_.events().size(), 1u);
  EXPECT_EQ(field(sink_.events()[0], "previous_expires_at"), format_rfc3339(clock_.now()));
}

// Test that bad bodies are 400s naming the field and publish nothing.
TEST_F(RotationHandlers, BadBodiesAre400) {
  const IssuedClientCredential svc = service_account();
  for (const std::string body :
       {"{", R"({"previous_valid_for_seconds": -5})", R"({"previous_valid_for_seconds": "x"})",
        R"({"previous_valid_for_seconds": 604801})"}) {
    http::Response r =
        call("POST", "/api/v1/users/" + svc.user_id + "/access-key", {bearer(admin_token_)}, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find("previous_valid_for_seconds"), std::string::npos) << r.body;
  }
  EXPECT_TRUE(sink_.events().empty());
}

// Test that retire-previous answers 404 JSON without a previous secret, and
// ends it (and publishes) when there is one.
TEST_F(RotationHandlers, RetirePrevious) {
  const IssuedClientCredential svc = service_account();
  const std::string path = "/api/v1/users/" + svc.user_id + "/access-key/previous";
  http::Response none = call("DELETE", path, {bearer(admin_token_)});
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(Json::parse(none.body).value("error", ""), "not_found");
  ASSERT_EQ(call("POST", "/api/v1/users/" + svc.user_id + "/access-key", {bearer(admin_token_)},
                 R"({"previous_valid_for_seconds": 600})")
                .status,
            200);
  clock_.advance(seconds(5));
  http::Response retired = call("DELETE", path, {bearer(admin_token_)});
  ASSERT_EQ(retired.status, 200) << retired.body;
  EXPECT_EQ(Json::parse(retired.body).value("previous_secret_expires_at", ""),
            format_rfc3339(clock_.now()));
  ASSERT_EQ(sink_.events().size(), 2u);
  EXPECT_EQ(field(sink_.events()[1], "previous_expires_at"), format_rfc3339(clock_.now()));
  // The old secret is now refused as rotated on the seed-000 exchange.
  http::Response old = call("POST", "/api/v1/account/token",
                            {{"Authorization", basic(svc.client_id, svc.client_secret)}});
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(Json::parse(old.body).value("reason", ""), "rotated");
}

// Test that a reroll answers like key creation (plus the old key's lapse)
// and publishes key.rerolled; a failing sink does not fail the request.
TEST_F(RotationHandlers, RerollAnswersLikeCreationAndPublishes) {
  const IssuedClientCredential svc = service_account();
  const std::string token = token_of(svc.client_id, svc.client_secret);
  http::Response created = call("POST", "/api/v1/keys", {bearer(token)},
                                R"({"name": "ci", "scope": "read", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const Json old_key = Json::parse(created.body);
  clock_.advance(seconds(3600));
  sink_.failing = true;
  const std::size_t before = sink_.events().size();
  http::Response r = call("POST", "/api/v1/keys/" + old_key.value("id", "") + "/reroll",
                          {bearer(token)}, R"({"previous_valid_for_seconds": 30})");
  ASSERT_EQ(r.status, 201) << r.body;
  const Json fresh = Json::parse(r.body);
  for (const char* same : {"name", "scope", "role", "expires_at", "user_id", "limits"}) {
    EXPECT_EQ(fresh[same], old_key[same]) << same;
  }
  EXPECT_NE(fresh.value("api_key", ""), old_key.value("api_key", ""));
  EXPECT_EQ(fresh.value("rerolled_from", ""), old_key.value("id", ""));
  const std::string lapse = format_rfc3339(clock_.now() + seconds(30));
  EXPECT_EQ(fresh.value("previous_key_lapses_at", ""), lapse);
  const auto published = sink_.events();
  ASSERT_EQ(published.size(), before + 1);
  const events::Event& e = published.back();
  EXPECT_EQ(e.type, events::EventType::kKeyRerolled);
  EXPECT_EQ(field(e, "key_id"), old_key.value("id", ""));
  EXPECT_EQ(field(e, "new_key_id"), fresh.value("id", ""));
  EXPECT_EQ(field(e, "user_id"), svc.user_id);
  EXPECT_EQ(field(e, "lapses_at"), lapse);

  http::Response shown = call("GET", "/api/v1/keys/" + old_key.value("id", ""), {bearer(token)});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(Json::parse(shown.body).value("replaced_by", ""), fresh.value("id", ""));
  EXPECT_EQ(Json::parse(shown.body).value("lapses_at", ""), lapse);
  EXPECT_EQ(shown.body.find("lk_key_"), std::string::npos);

  http::Response again =
      call("POST", "/api/v1/keys/" + old_key.value("id", "") + "/reroll", {bearer(token)});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Json::parse(again.body).value("reason", ""), "already_rerolled");
}

}  // namespace
}  // namespace latchkey::api
