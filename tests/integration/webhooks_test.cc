// Webhooks (issue 14 item 8, docs/webhooks.md): deliveries are signed,
// retried after the receiver fails (back-off on the injected clock), and
// survive kill -9 of latchkeyd between enqueue and delivery. No secret in
// any log line or payload.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "core/encoding.h"
#include "core/time.h"
#include "integration/server_fixture.h"
#include "support/webhook_receiver.h"

namespace latchkey::testing {
namespace {

// Computed here with OpenSSL directly, as a receiver would, rather than
// with latchkey's own signing code.
std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

// A fresh secret per run (never a committed one).
std::string random_secret() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::string bytes(24, '\0');
  urandom.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return "whsec-" + hex_encode(bytes);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Test fixture: a receiver, a 0600 secret file and a [webhooks] table
// pointing at the receiver, then latchkeyd.
class Webhooks : public ServerTest {
 protected:
  // The statuses the receiver answers first (then 200); `down`: nobody
  // listens on the configured port until the test starts a receiver there.
  void start(std::vector<int> statuses = {}, bool down = false) {
    char tmpl[] = "/tmp/latchkey-webhooks-XXXXXX";
    dir_ = mkdtemp(tmpl);
    secret_ = random_secret();
    const std::string secret_path = dir_ + "/webhook-secret";
    std::ofstream(secret_path) << secret_ << "\n";
    ::chmod(secret_path.c_str(), 0600);
    if (down) {
      port_ = WebhookReceiver::unused_port();
    } else {
      receiver_ = std::make_unique<WebhookReceiver>(0, std::move(statuses));
      port_ = receiver_->port();
    }
    config_ = dir_ + "/latchkey.toml";
    std::ofstream(config_) << "[webhooks]\n"
                           << "url = \"http://127.0.0.1:" << port_ << "/hook\"\n"
                           << "secret_file = \"" << secret_path << "\"\n";
    ServerTest::SetUp();
  }
  void SetUp() override {}  // each test calls start()
  void TearDown() override {
    server_.reset();
    receiver_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::vector<std::string> server_args() override { return {"--config", config_}; }

  // Creates an API key for the admin; returns the created key's JSON.
  Json create_key(const std::string& name) {
    HttpResult r = post("/api/v1/keys", {bearer_header(admin_token())},
                        R"({"name":")" + name + R"(","expires_in_days":30})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json_of(r);
  }
  Json events(const std::string& query = "") {
    HttpResult r = get("/api/v1/events" + query, {bearer_header(admin_token())});
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r)["events"];
  }
  // Polls `condition` (bounded: a safety net, not a delay).
  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  // Polls the outbox (a condition, bounded) until `id` has `status`.
  Json wait_status(const std::string& id, const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
      for (const Json& e : events()) {
        if (e["id"] == id && e["status"] == status) return e;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "event " << id << " never became " << status << ": " << events().dump();
        return Json();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // Checks a delivery as a receiver must: signature over "<t>.<body>",
  // timestamp fresh, id and type headers matching the body.
  void expect_signed(const ReceivedWebhook& w) {
    EXPECT_EQ(w.method, "POST");
    EXPECT_EQ(w.target, "/hook");
    EXPECT_EQ(w.header("Content-Type"), "application/json");
    const std::string signature = w.header("Latchkey-Signature");
    ASSERT_TRUE(signature.starts_with("t=")) << signature;
    const auto comma = signature.find(",v1=");
    ASSERT_NE(comma, std::string::npos) << signature;
    const std::string t = signature.substr(2, comma - 2);
    EXPECT_EQ(signature.substr(comma + 4), hmac_hex(secret_, t + "." + w.body));
    EXPECT_NE(signature.substr(comma + 4), hmac_hex(secret_ + "x", t + "." + w.body));
    // The server's clock may have been moved forward by the test, never back.
    EXPECT_GE(std::stoll(t), unix_now() - 300);
    const Json body = Json::parse(w.body);
    EXPECT_EQ(body["id"], w.header("Latchkey-Event-Id"));
    EXPECT_EQ(body["type"], w.header("Latchkey-Event-Type"));
    EXPECT_TRUE(parse_time(body["occurred_at"]));
  }
  static bool parse_time(const Json& value) {
    return value.is_string() && value.get<std::string>().size() >= 20 &&
           value.get<std::string>()[10] == 'T';
  }

  std::string dir_;
  std::string config_;
  std::string secret_;
  int port_ = 0;
  std::unique_ptr<WebhookReceiver> receiver_;
};

// Test that key.created, key.deactivated (once, though deactivated twice:
// the dedup key) and user.disabled are delivered signed, with their data
// and never a secret; that the outbox lists them as delivered; and that no
// log line holds the webhook secret, the key or a token.
TEST_F(Webhooks, DeliveriesAreSignedAndCarryNoSecret) {
  start();
  const Json key = create_key("ci-deploy");
  const std::string key_id = key["id"];
  const std::string api_key = key["api_key"];
  ASSERT_TRUE(receiver_->wait_requests(1));
  ASSERT_EQ(post("/api/v1/keys/" + key_id + "/deactivate", {bearer_header(admin_token())}).status,
            200);
  ASSERT_EQ(post("/api/v1/keys/" + key_id + "/deactivate", {bearer_header(admin_token())}).status,
            200);
  const std::string user = create_user("to-disable", "service", true);
  ASSERT_EQ(patch_user(user, R"({"disabled": true})").status, 200);
  ASSERT_EQ(patch_user(user, R"({"disabled": true})").status, 200);  // already: no event
  ASSERT_TRUE(receiver_->wait_requests(3));

  const auto received = receiver_->requests();
  ASSERT_EQ(received.size(), 3u);
  std::map<std::string, Json> by_type;
  for (const ReceivedWebhook& w : received) {
    expect_signed(w);
    by_type[w.header("Latchkey-Event-Type")] = Json::parse(w.body);
    EXPECT_EQ(w.body.find(api_key), std::string::npos);
    EXPECT_EQ(w.body.find(secret_), std::string::npos);
    EXPECT_EQ(w.body.find(admin_token()), std::string::npos);
    EXPECT_EQ(w.body.find("lk_"), std::string::npos) << w.body;
  }
  ASSERT_EQ(by_type.size(), 3u);
  const Json& created = by_type["key.created"]["data"];
  EXPECT_EQ(created["key_id"], key_id);
  EXPECT_EQ(created["user_id"], server_->admin().user_id);
  EXPECT_EQ(created["name"], "ci-deploy");
  EXPECT_EQ(created["expires_at"], key["expires_at"]);
  const Json& deactivated = by_type["key.deactivated"]["data"];
  EXPECT_EQ(deactivated["key_id"], key_id);
  EXPECT_EQ(deactivated["by"], server_->admin().user_id);
  const Json& disabled = by_type["user.disabled"]["data"];
  EXPECT_EQ(disabled["user_id"], user);
  EXPECT_EQ(disabled["by"], server_->admin().user_id);

  // The receiver answered; the deliverer records it just after.
  ASSERT_TRUE(eventually([&] { return events("?status=delivered").size() == 3; }));
  const Json listed = events("?status=delivered");
  ASSERT_EQ(listed.size(), 3u);
  for (const Json& e : listed) {
    EXPECT_EQ(e["attempts"], 1);
    EXPECT_TRUE(e["last_error"].is_null());
    EXPECT_TRUE(e["next_attempt_at"].is_null());
  }
  EXPECT_EQ(events("?status=pending").size(), 0u);

  HttpResult metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("latchkey_webhook_deliveries_total 3"), std::string::npos);
  EXPECT_NE(metrics.body.find("latchkey_webhook_outbox_pending "), std::string::npos);

  const std::string log = server_->output();
  EXPECT_EQ(log.find(secret_), std::string::npos);
  EXPECT_EQ(log.find(api_key), std::string::npos);
  EXPECT_EQ(log.find(admin_token()), std::string::npos);
  EXPECT_EQ(log.find(server_->admin().client_secret), std::string::npos);
}

// Test that a receiver answering 500 gets the event again once the back-off
// (10 s less jitter, from the test clock) has passed, and not before: the
// same id and body, then delivered after 2 attempts.
TEST_F(Webhooks, RetriedAfterTheReceiverFails) {
  start({500});
  create_key("retry-me");
  ASSERT_TRUE(receiver_->wait_requests(1));
  const std::string id = receiver_->requests()[0].header("Latchkey-Event-Id");
  Json pending;
  // The failure is recorded just after the 500 was answered.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    pending = events("?status=pending");
    if (!pending.empty() && pending[0]["attempts"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["attempts"], 1);
  EXPECT_EQ(pending[0]["last_error"], "http 500");
  EXPECT_TRUE(parse_time(pending[0]["next_attempt_at"]));
  // Not retried without the clock moving (the deliverer polls every 100 ms
  // with the test clock; a few polls pass while we ask).
  for (int i = 0; i < 5; ++i) EXPECT_EQ(events("?status=pending").size(), 1u);
  EXPECT_EQ(receiver_->requests().size(), 1u);

  server_->advance_clock_seconds(11);
  ASSERT_TRUE(receiver_->wait_requests(2));
  const Json delivered = wait_status(id, "delivered");
  EXPECT_EQ(delivered["attempts"], 2);
  const auto received = receiver_->requests();
  EXPECT_EQ(received[0].answered, 500);
  EXPECT_EQ(received[1].answered, 200);
  EXPECT_EQ(received[1].header("Latchkey-Event-Id"), id);
  EXPECT_EQ(received[1].body, received[0].body);
  expect_signed(received[1]);
  HttpResult metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("latchkey_webhook_failed_attempts_total 1"), std::string::npos);
}

// Test that an event enqueued while the receiver is down survives kill -9:
// after a restart on the same data directory, with the receiver up, it is
// delivered exactly once, with the id it was given before the kill.
TEST_F(Webhooks, SurvivesKill9BetweenEnqueueAndDelivery) {
  start({}, /*down=*/true);
  const Json key = create_key("survivor");
  const Json before = events();
  ASSERT_EQ(before.size(), 1u);
  const std::string id = before[0]["id"];
  EXPECT_EQ(before[0]["type"], "key.created");
  server_->kill_hard();

  receiver_ = std::make_unique<WebhookReceiver>(port_);
  ASSERT_EQ(receiver_->port(), port_);
  server_->restart();
  admin_token_.clear();  // account tokens survive, but take a fresh one
  // Past the claim lease and any back-off of an attempt made before the kill.
  server_->advance_clock_seconds(2 * 3600);
  ASSERT_TRUE(receiver_->wait_requests(1));
  wait_status(id, "delivered");
  const auto received = receiver_->requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].header("Latchkey-Event-Id"), id);
  const Json body = Json::parse(received[0].body);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["data"]["key_id"], key["id"]);
  expect_signed(received[0]);
  const Json after = events();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["id"], id);
}

// Test that a dead event can be redelivered, and that the test event
// reaches the receiver; both through the admin API (and never for a
// non-admin).
TEST_F(Webhooks, RedeliverAndTestEvent) {
  start();
  ASSERT_EQ(post("/api/v1/events/test", {bearer_header(admin_token())}).status, 202);
  ASSERT_TRUE(receiver_->wait_requests(1));
  const ReceivedWebhook first = receiver_->requests()[0];
  EXPECT_EQ(first.header("Latchkey-Event-Type"), "webhook.test");
  expect_signed(first);
  const std::string id = first.header("Latchkey-Event-Id");
  wait_status(id, "delivered");

  HttpResult again = post("/api/v1/events/" + id + "/redeliver", {bearer_header(admin_token())});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json_of(again)["status"], "pending");
  EXPECT_EQ(json_of(again)["attempts"], 0);
  ASSERT_TRUE(receiver_->wait_requests(2));
  EXPECT_EQ(receiver_->requests()[1].header("Latchkey-Event-Id"), id);
  EXPECT_EQ(receiver_->requests()[1].body, first.body);

  EXPECT_EQ(post("/api/v1/events/evt_unknown/redeliver", {bearer_header(admin_token())}).status,
            404);
  EXPECT_EQ(get("/api/v1/events?status=lost", {bearer_header(admin_token())}).status, 400);
  const Credentials user = create_user_with_credentials("plain", "service", true);
  const std::string token = issue_token(user);
  EXPECT_EQ(get("/api/v1/events", {bearer_header(token)}).status, 403);
  EXPECT_EQ(post("/api/v1/events/" + id + "/redeliver", {bearer_header(token)}).status, 403);
}

// Test that without [webhooks] nothing is enqueued and the test event is
// refused with 409.
TEST(WebhooksOff, NothingIsRecorded) {
  LatchkeydProcess server;
  HttpClient http;
  HttpResult issued =
      http.send("POST", server.url() + "/api/v1/account/token",
                {basic_header(server.admin().client_id, server.admin().client_secret)});
  ASSERT_EQ(issued.status, 200);
  const std::string token = Json::parse(issued.body)["access_token"];
  HttpResult key = http.send("POST", server.url() + "/api/v1/keys",
                             {bearer_header(token), "Content-Type: application/json"},
                             R"({"name":"quiet","expires_in_days":3})");
  ASSERT_EQ(key.status, 201);
  HttpResult listed = http.send("GET", server.url() + "/api/v1/events", {bearer_header(token)});
  ASSERT_EQ(listed.status, 200);
  EXPECT_TRUE(Json::parse(listed.body)["events"].empty());
  EXPECT_EQ(http.send("POST", server.url() + "/api/v1/events/test", {bearer_header(token)}).status,
            409);
}

// Test that latchkeyd refuses to start with plain http to a non-loopback
// host, a group-readable secret file, or an unknown event name (the file,
// line and column named).
TEST(WebhooksConfig, BadConfigurationsAreRefusedAtStart) {
  char tmpl[] = "/tmp/latchkey-webhooks-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << random_secret() << "\n";
  ::chmod(secret.c_str(), 0640);
  const std::string good_secret = dir + "/good-secret";
  std::ofstream(good_secret) << random_secret() << "\n";
  ::chmod(good_secret.c_str(), 0600);
  auto run = [&](const std::string& toml) {
    std::ofstream(dir + "/c.toml") << toml;
    const std::string cmd = std::string(LATCHKEYD_PATH) + " --listen 127.0.0.1:0 --data " + dir +
                            "/db --config " + dir + "/c.toml > " + dir + "/out.log 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(dir + "/out.log");
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::pair{status, out};
  };
  auto [plain_status, plain] = run(
      "[webhooks]\nurl = \"http://hooks.example.com/x\"\nsecret_file = \"" + good_secret + "\"\n");
  EXPECT_NE(plain_status, 0);
  EXPECT_NE(plain.find("c.toml:2:7: webhooks.url: plain http is allowed only to a loopback"),
            std::string::npos)
      << plain;
  auto [mode_status, mode] =
      run("[webhooks]\nurl = \"https://hooks.example.com/x\"\nsecret_file = \"" + secret + "\"\n");
  EXPECT_NE(mode_status, 0);
  EXPECT_NE(mode.find("has mode 0640"), std::string::npos) << mode;
  auto [event_status, event] =
      run("[webhooks]\nurl = \"https://hooks.example.com/x\"\n"
          "events = [\"key.created\", \"key.exploded\"]\n");
  EXPECT_NE(event_status, 0);
  EXPECT_NE(event.find("c.toml:3:26: webhooks.events: unknown event type"), std::string::npos)
      << event;
  EXPECT_NE(event.find("key.exploded"), std::string::npos) << event;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace latchkey::testing
