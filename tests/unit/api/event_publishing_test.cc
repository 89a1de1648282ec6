#include "api/event_publishing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "events/event_sink.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::api {
namespace {

// Records what is published; fails every publish when asked to.
class RecordingSink final : public events::EventSink {
 public:
  Status publish(const events::Event& event) override {
    published.push_back(event);
    if (failing) return fail(Error::unavailable("store: disk full"));
    return {};
  }
  std::vector<events::Event> published;
  bool failing = false;
};

ApiKey sample_key() {
  ApiKey key;
  key.id = "key_1";
  key.user_id = "usr_1";
  key.name = "ci-deploy";
  key.masked = "••••a1B9";
  key.expires_at = from_unix_millis(1'797'000'000'000);
  return key;
}

// Test that key events name the key, its owner, name and expiry (never the
// key or its digest) and carry a per-key dedup key.
TEST(EventPublishing, KeyEventData) {
  const Instant at = from_unix_millis(1'795'000'000'000);
  const events::Event created = key_event(events::EventType::kKeyCreated, sample_key(), at);
  EXPECT_EQ(created.type, events::EventType::kKeyCreated);
  EXPECT_EQ(created.occurred_at, at);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(created.data, (Pairs{{"key_id", "key_1"},
                                 {"user_id", "usr_1"},
                                 {"name", "ci-deploy"},
                                 {"expires_at", format_rfc3339(sample_key().expires_at)}}));
  EXPECT_EQ(created.dedup_key, "key.created:key_1");
  EXPECT_EQ(key_event(events::EventType::kKeyDeactivated, sample_key(), at).dedup_key,
            "key.deactivated:key_1");
}

// Test that publish_event hands the event to the sink, does nothing
// without one, and never fails (the request's change stands) when the
// sink does.
TEST(EventPublishing, PublishNeverFailsTheRequest) {
  char tmpl[] = "/tmp/latchkey-events-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    auto store = open_sqlite_store({.data_dir = dir});
    ASSERT_TRUE(store.has_value());
    testing::FakeClock clock;
    testing::CounterRandom random;
    AccountTokenCache cache;
    AccountTokenService tokens(**store, cache, clock, random, {});
    ClientAuthenticator clients(**store);
    UserService users(**store, clock, random, [](std::string_view) {});
    ApiContext ctx{**store, clock, clients, tokens, users, nullptr};
    const events::Event event =
        key_event(events::EventType::kKeyCreated, sample_key(), clock.now());
    publish_event(ctx, event);  // no sink: not recorded
    RecordingSink sink;
    ctx.events = &sink;
    publish_event(ctx, event);
    sink.failing = true;
    publish_event(ctx, event);
    ASSERT_EQ(sink.published.size(), 2u);
    EXPECT_EQ(sink.published[0].dedup_key, "key.created:key_1");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace latchkey::api
