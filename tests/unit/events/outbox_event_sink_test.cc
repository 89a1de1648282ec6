#include "events/outbox_event_sink.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/event_outbox_store.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::events {
namespace {

using testing::CounterRandom;
using testing::FakeClock;
using testing::TempDir;

class OutboxEventSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(opened) << opened.error().description;
    store_ = std::move(*opened);
  }
  std::vector<OutboxEvent> all() {
    auto page = store_->outbox().list({});
    EXPECT_TRUE(page);
    return page ? page->events : std::vector<OutboxEvent>{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  CounterRandom random_;
};

Event key_created(std::string key_id, std::string dedup = {}) {
  Event e;
  e.type = EventType::kKeyCreated;
  e.occurred_at = from_unix_millis(1'795'000'000'000);
  e.data = {{"key_id", std::move(key_id)}, {"user_id", "usr_1"}};
  e.dedup_key = std::move(dedup);
  return e;
}

// Test that publish stores the event durably with a new evt_ id, its type,
// time and data, due at once, and wakes the deliverer.
TEST_F(OutboxEventSinkTest, PublishEnqueuesDurably) {
  int woken = 0;
  OutboxEventSink sink(store_->outbox(), clock_, random_, {.on_enqueued = [&] { ++woken; }});
  ASSERT_TRUE(sink.publish(key_created("key_1")));
  EXPECT_EQ(woken, 1);
  auto events = all();
  ASSERT_EQ(events.size(), 1u);
  const OutboxEvent& e = events.front();
  EXPECT_TRUE(e.id.starts_with("evt_"));
  EXPECT_EQ(e.id.size(), 24u);
  EXPECT_EQ(e.type, "key.created");
  EXPECT_EQ(e.occurred_at, from_unix_millis(1'795'000'000'000));
  EXPECT_EQ(nlohmann::json::parse(e.data_json),
            (nlohmann::json{{"key_id", "key_1"}, {"user_id", "usr_1"}}));
  EXPECT_EQ(e.status, OutboxStatus::kPending);
  EXPECT_EQ(e.next_attempt_at, clock_.now());
}

// Test that a dedup key sends an event once: the duplicate is dropped and
// publish still succeeds.
TEST_F(OutboxEventSinkTest, DedupKeyPublishesOnce) {
  int woken = 0;
  OutboxEventSink sink(store_->outbox(), clock_, random_, {.on_enqueued = [&] { ++woken; }});
  ASSERT_TRUE(sink.publish(key_created("key_1", "key.deactivated:key_1")));
  ASSERT_TRUE(sink.publish(key_created("key_1", "key.deactivated:key_1")));
  ASSERT_TRUE(sink.publish(key_created("key_2")));
  ASSERT_TRUE(sink.publish(key_created("key_2")));
  EXPECT_EQ(all().size(), 3u);
  EXPECT_EQ(woken, 3);
}

// Test that only the subscribed types are enqueued.
TEST_F(OutboxEventSinkTest, OnlySubscribedTypesAreEnqueued) {
  OutboxEventSink sink(store_->outbox(), clock_, random_, {.types = {EventType::kUserDisabled}});
  ASSERT_TRUE(sink.publish(key_created("key_1")));
  Event disabled;
  disabled.type = EventType::kUserDisabled;
  disabled.data = {{"user_id", "usr_1"}};
  ASSERT_TRUE(sink.publish(disabled));
  auto events = all();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().type, "user.disabled");
}

// Test that a redelivery (outbox_changed) wakes the deliverer at once, so
// that a requeued event does not wait for the next poll.
TEST_F(OutboxEventSinkTest, OutboxChangedWakesTheDeliverer) {
  int woken = 0;
  OutboxEventSink sink(store_->outbox(), clock_, random_, {.on_enqueued = [&] { ++woken; }});
  sink.outbox_changed();
  EXPECT_EQ(woken, 1);
  NullEventSink none;
  none.outbox_changed();  // nothing to wake
}

}  // namespace
}  // namespace latchkey::events
