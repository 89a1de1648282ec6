// The lifecycle scan (keys/lifecycle_scan.h, issue 14 items 3 and 7):
// expired service accounts disabled, events published once each.
#include "keys/lifecycle_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "audit/audit_log.h"
#include "events/event_sink.h"
#include "events/outbox_event_sink.h"
#include "store/faulty_store.h"
#include "store/key_store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::keys {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using testing::FakeClock;
using testing::TempDir;

class RecordingSink final : public events::EventSink {
 public:
  Status publish(const events::Event& event) override {
    std::lock_guard lock(mu_);
    if (fail_next_) {
      fail_next_ = false;
      return fail(Error::unavailable("outbox full"));
    }
    events_.push_back(event);
    return {};
  }
  std::vector<events::Event> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  int count(events::EventType type) {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(events_.begin(), events_.end(),
                                          [&](const auto& e) { return e.type == type; }));
  }
  void fail_next() {
    std::lock_guard lock(mu_);
    fail_next_ = true;
  }

 private:
  std::mutex mu_;
  std::vector<events::Event> events_;
  bool fail_next_ = false;
};

class RecordingAudit final : public AuditLog {
 public:
  void record(AuditEvent event) override { events.push_back(std::move(event)); }
  Status record_durably(AuditEvent event) override {
    events.push_back(std::move(event));
    return {};
  }
  std::vector<AuditEvent> events;
};

std::string field(const events::Event& event, std::string_view name) {
  for (const auto& [key, value] : event.data) {
    if (key == name) return value;
  }
  return "<absent>";
}

class LifecycleScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(opened) << opened.error().description;
    store_ = std::move(*opened);
  }

  LifecycleScan scan() {
    return LifecycleScan(*store_, clock_, policy_, &sink_, &audit_,
                         [this](std::string_view id) { forgotten_.emplace_back(id); }, {});
  }

  User make_user(std::string name, UserType type, std::optional<Instant> expires = {}) {
    NewUser user;
    user.id = "usr_" + name;
    user.name = name;
    user.type = type;
    user.api_access = true;
    user.created_at = clock_.now();
    user.owner = type == UserType::kService ? "Team " + name : "";
    user.expires_at = expires;
    auto created = store_->create_user(user);
    EXPECT_TRUE(created) << created.error().description;
    return created ? *created : User{};
  }

  ApiKey add_key(std::string id, std::string user_id, Duration validity) {
    ApiKey key;
    key.id = std::move(id);
    key.user_id = std::move(user_id);
    key.name = "deploy";
    key.digest.fill(static_cast<std::uint8_t>(key.id.back()));
    key.masked = "••••a1B9";
    key.created_at = clock_.now();
    key.expires_at = clock_.now() + validity;
    EXPECT_TRUE(store_->keys().insert_key(key));
    return key;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  SecretAgePolicy policy_;
  RecordingSink sink_;
  RecordingAudit audit_;
  std::vector<std::string> forgotten_;
};

// Test that an expired service account is disabled exactly from its
// expires_at (not 1 ms before), its token tombstoned as user_disabled,
// audited as done by the system, caches dropped, and that
// service_account.expired and user.disabled are published once even when
// the scan runs again.
TEST_F(LifecycleScanTest, DisablesExpiredServiceAccountsOnce) {
  const Instant expires = clock_.now() + hours(24);
  make_user("etl", UserType::kService, expires);
  make_user("keeps", UserType::kService, expires + hours(1));
  make_user("alice", UserType::kHuman);
  AccountToken token;
  token.digest.fill(7);
  token.user_id = "usr_etl";
  token.client_id = "cli_etl";
  token.issued_at = clock_.now();
  token.expires_at = clock_.now() + hours(24 * 365);
  ASSERT_TRUE(store_->issue_account_token(token));

  LifecycleScan lifecycle = scan();
  clock_.set(expires - milliseconds(1));
  auto early = lifecycle.run();
  ASSERT_TRUE(early) << early.error().description;
  EXPECT_EQ(early->accounts_disabled, 0);
  EXPECT_FALSE(store_->get_user("usr_etl")->disabled);

  clock_.set(expires);
  auto at = lifecycle.run();
  ASSERT_TRUE(at) << at.error().description;
  EXPECT_EQ(at->accounts_disabled, 1);
  EXPECT_TRUE(store_->get_user("usr_etl")->disabled);
  EXPECT_FALSE(store_->get_user("usr_keeps")->disabled);
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup && lookup->ended);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kUserDisabled);
  EXPECT_NE(std::find(forgotten_.begin(), forgotten_.end(), "usr_etl"), forgotten_.end());

  ASSERT_EQ(audit_.events.size(), 1u);
  EXPECT_EQ(audit_.events[0].principal_id, "system");
  EXPECT_EQ(audit_.events[0].action, "user.expire.disable");
  EXPECT_EQ(audit_.events[0].resource, "user/usr_etl");
  EXPECT_EQ(audit_.events[0].reason, "account_expired");

  ASSERT_TRUE(lifecycle.run());
  clock_.advance(hours(2));  // "keeps" expires now too
  ASSERT_TRUE(lifecycle.run());
  EXPECT_EQ(sink_.count(events::EventType::kServiceAccountExpired), 2);
  EXPECT_EQ(sink_.count(events::EventType::kUserDisabled), 2);
  const auto all = sink_.events();
  const auto expired = std::find_if(all.begin(), all.end(), [](const auto& e) {
    return e.type == events::EventType::kServiceAccountExpired;
  });
  ASSERT_NE(expired, all.end());
  EXPECT_EQ(field(*expired, "user_id"), "usr_etl");
  EXPECT_EQ(field(*expired, "owner"), "Team etl");
  EXPECT_EQ(field(*expired, "expires_at"), format_rfc3339(expires));
  EXPECT_EQ(expired->dedup_key,
            "service_account.expired:usr_etl:" + std::to_string(to_unix_millis(expires)));
}

// Test that with webhooks the expiry events are enqueued in the disable's
// own transaction: an outbox that fails every write after the disable (as a
// crash or a full disk right after its commit would) loses neither event,
// although the disabled account is never listed again. They used to be
// published after the commit, and such a failure lost them for good.
TEST_F(LifecycleScanTest, ExpiryEventsCommitWithTheDisable) {
  const Instant expires = clock_.now() + hours(24);
  make_user("etl", UserType::kService, expires);
  auto faults = std::make_shared<FaultInjector>();
  store_ = make_faulty_store(std::move(store_), faults);
  testing::CounterRandom random;
  int woken = 0;
  events::OutboxEventSink waking_sink(store_->outbox(), clock_, random,
                                      {.on_enqueued = [&] { ++woken; }});
  LifecycleScan lifecycle(*store_, clock_, policy_, &waking_sink, &audit_, {}, {});

  clock_.set(expires);
  // The disable is the first write; every write after it fails.
  faults->arm({.nth = 2, .forever = true});
  auto run = lifecycle.run();
  ASSERT_TRUE(run) << run.error().description;
  EXPECT_EQ(run->accounts_disabled, 1);
  EXPECT_EQ(run->events_published, 2);
  EXPECT_EQ(faults->stats().failed, 0u);
  EXPECT_EQ(woken, 1);
  faults->arm({});
  ASSERT_TRUE(lifecycle.run());  // not listed again: nothing more

  auto page = store_->outbox().list({});
  ASSERT_TRUE(page);
  std::vector<std::string> types;
  for (const OutboxEvent& e : page->events) types.push_back(e.type);
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"service_account.expired", "user.disabled"}));
  const std::string expiry_ms = std::to_string(to_unix_millis(expires));
  for (const OutboxEvent& e : page->events) {
    EXPECT_EQ(e.dedup_key, e.type + ":usr_etl:" + expiry_ms);
    EXPECT_NE(e.data_json.find("\"usr_etl\""), std::string::npos);
  }
}

// Test that only the subscribed expiry events are enqueued with the
// disable, and none when webhooks are off (the null sink).
TEST_F(LifecycleScanTest, ExpiryEventsFollowTheSubscription) {
  const Instant expires = clock_.now() + hours(24);
  make_user("etl", UserType::kService, expires);
  make_user("ops", UserType::kService, expires + hours(1));
  testing::CounterRandom random;
  events::OutboxEventSink only_disabled(store_->outbox(), clock_, random,
                                        {.types = {events::EventType::kUserDisabled}});
  clock_.set(expires);
  ASSERT_TRUE(LifecycleScan(*store_, clock_, policy_, &only_disabled, nullptr, {}, {}).run());
  events::NullEventSink off;
  clock_.set(expires + hours(1));
  auto run = LifecycleScan(*store_, clock_, policy_, &off, nullptr, {}, {}).run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->accounts_disabled, 1);
  auto page = store_->outbox().list({});
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events.front().type, "user.disabled");
  EXPECT_EQ(page->events.front().dedup_key,
            "user.disabled:usr_etl:" + std::to_string(to_unix_millis(expires)));
}

// Test that secret.rotation_due is published exactly at the threshold, once
// per secret (a reset secret is a new one), and for active keys; that
// key.expiring_soon is published once per key inside the window; and that a
// failed publish is retried by the next run.
TEST_F(LifecycleScanTest, PublishesRotationDueAndExpiringSoonOnce) {
  make_user("alice", UserType::kHuman);
  const Instant created = clock_.now();
  ASSERT_TRUE(store_->set_client_secret("usr_alice", "cli_alice", Digest{}, created, false));
  add_key("key_a", "usr_alice", hours(24 * 365));
  add_key("key_b", "usr_alice", hours(24 * 100));
  LifecycleScan lifecycle = scan();
  const Instant due = created + hours(24 * 90);

  clock_.set(due - milliseconds(1));
  ASSERT_TRUE(lifecycle.run());
  EXPECT_EQ(sink_.count(events::EventType::kSecretRotationDue), 0);
  EXPECT_EQ(sink_.count(events::EventType::kKeyExpiringSoon), 1);  // key_b: 10 days left

  clock_.set(due);
  sink_.fail_next();
  ASSERT_TRUE(lifecycle.run());  // the first publish fails: retried below
  ASSERT_TRUE(lifecycle.run());
  ASSERT_TRUE(lifecycle.run());
  EXPECT_EQ(sink_.count(events::EventType::kSecretRotationDue), 3);  // secret, key_a, key_b
  EXPECT_EQ(sink_.count(events::EventType::kKeyExpiringSoon), 1);
  const auto all = sink_.events();
  const auto secret = std::find_if(all.begin(), all.end(), [](const auto& e) {
    return e.type == events::EventType::kSecretRotationDue && field(e, "kind") == "client_secret";
  });
  ASSERT_NE(secret, all.end());
  EXPECT_EQ(field(*secret, "client_id"), "cli_alice");
  EXPECT_EQ(field(*secret, "due_since"), format_rfc3339(due));
  EXPECT_EQ(field(*secret, "age_days"), "90");
  EXPECT_EQ(secret->dedup_key,
            "secret.rotation_due:cli_alice:" + std::to_string(to_unix_millis(created)));

  // A reset makes a new secret: due again 90 days later, announced again.
  ASSERT_TRUE(store_->set_client_secret("usr_alice", "cli_alice", Digest{}, due, false));
  clock_.set(due + hours(24 * 90));
  ASSERT_TRUE(lifecycle.run());
  ASSERT_TRUE(lifecycle.run());
  int secrets = 0;
  for (const auto& e : sink_.events()) {
    if (e.type == events::EventType::kSecretRotationDue && field(e, "kind") == "client_secret")
      ++secrets;
  }
  EXPECT_EQ(secrets, 2);
}

// Test that max age 0 announces nothing and a null sink is allowed.
TEST_F(LifecycleScanTest, NeverDueAndNoSink) {
  policy_.max_age_days = 0;
  make_user("alice", UserType::kHuman);
  ASSERT_TRUE(store_->set_client_secret("usr_alice", "cli_alice", Digest{}, clock_.now(), false));
  clock_.advance(hours(24 * 1000));
  ASSERT_TRUE(scan().run());
  EXPECT_TRUE(sink_.events().empty());
  LifecycleScan silent(*store_, clock_, policy_, nullptr, nullptr, {}, {});
  make_user("etl", UserType::kService, clock_.now() + hours(1));
  clock_.advance(hours(1));
  auto outcome = silent.run();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->accounts_disabled, 1);
}

}  // namespace
}  // namespace latchkey::keys
