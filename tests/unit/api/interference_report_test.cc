// The token-interference alarm as an account-token issuance reports it
// (api/origin_handlers.h report_interference): one token.interference event
// per alarm through the event sink, an audit entry and the metric; a
// failing sink never fails the issuance.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

#include "api/origin_handlers.h"
#include "audit/audit_log.h"
#include "events/event_sink.h"
#include "metrics/metrics.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::api {
namespace {

class RecordingSink final : public events::EventSink {
 public:
  Status publish(const events::Event& event) override {
    std::lock_guard lock(mu_);
    events.push_back(event);
    if (fail) return fail_with(Error::unavailable("outbox full"));
    return {};
  }
  static Status fail_with(Error e) { return latchkey::fail(std::move(e)); }
  std::vector<events::Event> events;
  bool fail = false;

 private:
  std::mutex mu_;
};

class RecordingAudit final : public AuditLog {
 public:
  void record(AuditEvent event) override { events.push_back(std::move(event)); }
  Status record_durably(AuditEvent event) override {
    record(std::move(event));
    return {};
  }
  std::vector<AuditEvent> events;
};

std::string value_of(const events::Event& e, const std::string& key) {
  for (const auto& [k, v] : e.data) {
    if (k == key) return v;
  }
  return "<absent>";
}

double alarms_metric() {
  const std::string text = metrics::default_registry().render();
  const std::string needle = "\nlatchkey_token_interference_total ";
  const auto at = text.find(needle);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + needle.size()));
}

class InterferenceReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-interference-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = open_sqlite_store({.data_dir = dir_});
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
    AccountTokenOptions options;
    options.interference.threshold = 5;
    tokens_ = std::make_unique<AccountTokenService>(*store_, cache_, clock_, random_, options);
    clients_ = std::make_unique<ClientAuthenticator>(*store_);
    users_ = std::make_unique<UserService>(*store_, clock_, random_, [](std::string_view) {});
    ctx_ = std::make_unique<ApiContext>(
        ApiContext{*store_, clock_, *clients_, *tokens_, *users_, nullptr});
    ctx_->audit = &audit_;
    ctx_->events = &sink_;
    NewUser user{"usr_bot", "bot", UserType::kService, true, {}, clock_.now()};
    ASSERT_TRUE(store_->create_user(user));
  }
  void TearDown() override {
    ctx_.reset();
    users_.reset();
    clients_.reset();
    tokens_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One issuance from `ip`, reported as the handlers report it.
  bool issue_from(const std::string& ip) {
    auto user = store_->get_user("usr_bot");
    EXPECT_TRUE(user);
    auto issued = tokens_->issue(*user, "cli_bot", RequestOrigin{ip, "bot/1.0"});
    EXPECT_TRUE(issued) << issued.error().description;
    clock_.advance(std::chrono::seconds(30));
    if (!issued || !issued->interference) return false;
    http::Request request;
    request.remote_ip = ip;
    report_interference(*ctx_, request, *issued->interference);
    return true;
  }

  std::string dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  AccountTokenCache cache_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AccountTokenService> tokens_;
  std::unique_ptr<ClientAuthenticator> clients_;
  std::unique_ptr<UserService> users_;
  std::unique_ptr<ApiContext> ctx_;
  RecordingAudit audit_;
  RecordingSink sink_;
};

// Test that the sixth issuance from two addresses publishes exactly one
// token.interference event with user, client, regenerations and origins,
// deduplicated by alarm; audits it; and counts it once; the fifth does not.
TEST_F(InterferenceReportTest, OneEventPerAlarm) {
  const double before = alarms_metric();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(issue_from(i % 2 ? "192.0.2.1" : "2001:db8::1"));
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(issue_from("192.0.2.1"));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(issue_from("2001:db8::1"));  // same hour: no more
  ASSERT_EQ(sink_.events.size(), 1u);
  const events::Event& e = sink_.events[0];
  EXPECT_EQ(e.type, events::EventType::kTokenInterference);
  EXPECT_EQ(value_of(e, "user_id"), "usr_bot");
  EXPECT_EQ(value_of(e, "client_id"), "cli_bot");
  EXPECT_EQ(value_of(e, "regenerations"), "6");
  EXPECT_EQ(value_of(e, "origins"), "192.0.2.1,2001:db8::/64");  // IPv6 by its /64
  EXPECT_EQ(e.dedup_key,
            "token.interference:usr_bot:" + std::to_string(to_unix_millis(e.occurred_at)));
  ASSERT_EQ(audit_.events.size(), 1u);
  EXPECT_EQ(audit_.events[0].action, "account.token.interference");
  EXPECT_EQ(audit_.events[0].principal_id, "usr_bot");
  EXPECT_EQ(audit_.events[0].client_ip, "192.0.2.1");
  EXPECT_EQ(audit_.events[0].reason, "token_interference");
  EXPECT_EQ(alarms_metric(), before + 1);
  // The state the dependents report shows.
  auto state = store_->find_token_interference("usr_bot");
  ASSERT_TRUE(state && state->has_value());
  EXPECT_EQ((*state)->regenerations, 10);
  EXPECT_EQ((*state)->alarms, 1);
}

// Test that a sink that cannot enqueue does not break the issuance.
TEST_F(InterferenceReportTest, FailingSinkDoesNotFailTheIssuance) {
  sink_.fail = true;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(issue_from(i % 2 ? "192.0.2.1" : "192.0.2.2"));
  EXPECT_TRUE(issue_from("192.0.2.3"));
  EXPECT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(audit_.events.size(), 1u);
}

}  // namespace
}  // namespace latchkey::api
