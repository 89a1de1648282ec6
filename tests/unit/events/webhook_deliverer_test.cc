#include "events/webhook_deliverer.h"

#include <gtest/gtest.h>

#include "events/outbox_event_sink.h"
#include "events/webhook_signature.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "support/fake_transport.h"
#include "unit/store/temp_dir.h"

namespace latchkey::events {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::CounterRandom;
using testing::FakeClock;
using testing::FakeTransport;
using testing::TempDir;

constexpr std::string_view kSecret = "test-webhook-secret-0123456789";

client::Result<client::HttpResponse> answer(int status) {
  return client::HttpResponse{.status = status, .headers = {}, .body = "ignored"};
}

client::Result<client::HttpResponse> refused() {
  client::ClientError error;
  error.description =
      "cannot reach http://127.0.0.1:9: Failed to connect to 127.0.0.1 port 9: Connection refused";
  return std::unexpected(error);
}

std::string header(const client::HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers)
    if (n == name) return v;
  return {};
}

class WebhookDelivererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(opened) << opened.error().description;
    store_ = std::move(*opened);
  }
  WebhookDelivererOptions options(int max_attempts = 20) {
    WebhookDelivererOptions o;
    o.url = "https://hooks.example/latchkey";
    o.secret = std::string(kSecret);
    o.max_attempts = max_attempts;
    return o;
  }
  std::string publish_key_created() {
    OutboxEventSink sink(store_->outbox(), clock_, random_);
    Event e;
    e.type = EventType::kKeyCreated;
    e.occurred_at = clock_.now();
    e.data = {{"key_id", "key_1"}, {"user_id", "usr_1"}, {"name", "ci"}};
    EXPECT_TRUE(sink.publish(e));
    auto page = store_->outbox().list({});
    return page->events.front().id;
  }
  OutboxEvent stored(const std::string& id) { return store_->outbox().get(id)->value(); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  CounterRandom random_;
};

// Test that a delivery is a signed JSON POST with the event's id and type
// in headers, and that a 2xx marks it delivered.
TEST_F(WebhookDelivererTest, PostsSignedEventAndMarksDelivered) {
  const std::string id = publish_key_created();
  FakeTransport transport([](const client::HttpRequest&) { return answer(204); });
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, options());
  auto n = deliverer.deliver_due();
  ASSERT_TRUE(n) << n.error().description;
  EXPECT_EQ(*n, 1);
  auto sent = transport.requests();
  ASSERT_EQ(sent.size(), 1u);
  const client::HttpRequest& r = sent.front();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://hooks.example/latchkey");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(header(r, "Latchkey-Event-Id"), id);
  EXPECT_EQ(header(r, "Latchkey-Event-Type"), "key.created");
  const std::int64_t now_s = to_unix_millis(clock_.now()) / 1000;
  EXPECT_EQ(header(r, "Latchkey-Signature"), webhook_signature(kSecret, now_s, r.body));
  EXPECT_TRUE(verify_webhook_signature(header(r, "Latchkey-Signature"), kSecret, r.body, now_s));
  EXPECT_EQ(r.body, R"({"id":")" + id + R"(","type":"key.created","occurred_at":")" +
                        format_rfc3339(clock_.now()) +
                        R"(","data":{"key_id":"key_1","user_id":"usr_1","name":"ci"}})");
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  const OutboxEvent e = stored(id);
  EXPECT_EQ(e.status, OutboxStatus::kDelivered);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(deliverer.stats().delivered, 1u);
  EXPECT_EQ(*deliverer.deliver_due(), 0);  // nothing left
}

// Test that a 500 is retried after the back-off computed from the clock,
// not before, and that the retry delivers the same body and id.
TEST_F(WebhookDelivererTest, RetriesAfterBackoffFromTheClock) {
  const std::string id = publish_key_created();
  int calls = 0;
  FakeTransport transport(
      [&](const client::HttpRequest&) { return answer(++calls == 1 ? 500 : 200); });
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, options());
  ASSERT_EQ(*deliverer.deliver_due(), 1);
  OutboxEvent e = stored(id);
  EXPECT_EQ(e.status, OutboxStatus::kPending);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.last_error, "http 500");
  const Duration wait = e.next_attempt_at - clock_.now();
  EXPECT_LE(wait, seconds(10));
  EXPECT_GE(wait, std::chrono::milliseconds(7500));
  clock_.advance(wait - std::chrono::milliseconds(1));
  EXPECT_EQ(*deliverer.deliver_due(), 0);  // not yet due
  clock_.advance(std::chrono::milliseconds(1));
  ASSERT_EQ(*deliverer.deliver_due(), 1);
  e = stored(id);
  EXPECT_EQ(e.status, OutboxStatus::kDelivered);
  EXPECT_EQ(e.attempts, 2);
  auto sent = transport.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].body, sent[1].body);
  EXPECT_EQ(header(sent[1], "Latchkey-Event-Id"), id);
  EXPECT_EQ(deliverer.stats().failed_attempts, 1u);
  EXPECT_EQ(deliverer.stats().delivered, 1u);
}

// Test that after max_attempts failures the event is dead, with the last
// error class (never a body), and no longer attempted until requeued.
TEST_F(WebhookDelivererTest, GivesUpAfterMaxAttemptsThenRedeliverable) {
  const std::string id = publish_key_created();
  FakeTransport transport([](const client::HttpRequest&) { return refused(); });
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, options(3));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(*deliverer.deliver_due(), 1) << i;
    clock_.advance(hours(2));
  }
  OutboxEvent e = stored(id);
  EXPECT_EQ(e.status, OutboxStatus::kDead);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(e.last_error, "connect");
  EXPECT_EQ(deliverer.stats().dead, 1u);
  EXPECT_EQ(*deliverer.deliver_due(), 0);

  transport.set_handler([](const client::HttpRequest&) { return answer(200); });
  ASSERT_TRUE(store_->outbox().requeue(id, clock_.now()));
  ASSERT_EQ(*deliverer.deliver_due(), 1);
  EXPECT_EQ(stored(id).status, OutboxStatus::kDelivered);
}

// Test that transport failures are stored as an error class only.
// Test that an admin's redelivery requested while the event's attempt is in
// flight is not swallowed: the attempt's success is not recorded over the
// requeue, so the event stays pending, due, and is sent again.
TEST_F(WebhookDelivererTest, RedeliveryDuringAnAttemptSendsAgain) {
  const std::string id = publish_key_created();
  int sent = 0;
  FakeTransport transport([&](const client::HttpRequest&) {
    if (++sent == 1) {
      EXPECT_TRUE(store_->outbox().requeue(id, clock_.now()));
    }
    return answer(200);
  });
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, options());
  ASSERT_EQ(deliverer.deliver_due().value(), 1);
  EXPECT_EQ(stored(id).status, OutboxStatus::kPending);
  EXPECT_EQ(stored(id).next_attempt_at, clock_.now());
  ASSERT_EQ(deliverer.deliver_due().value(), 1);
  EXPECT_EQ(sent, 2);
  EXPECT_EQ(stored(id).status, OutboxStatus::kDelivered);
  EXPECT_EQ(stored(id).attempts, 1);
}

// Test that one claim outlasts a whole batch of attempts that each take the
// full timeout (a lease of timeout + 60 s lapsed after a few slow receivers
// and let another deliverer send the rest of the batch a second time).
TEST(BatchClaimLease, CoversEveryAttemptOfTheBatchPlusAMargin) {
  EXPECT_EQ(batch_claim_lease(seconds(10), 32), seconds(32 * 10 + 60));
  EXPECT_EQ(batch_claim_lease(seconds(120), 32), seconds(32 * 120 + 60));
  EXPECT_EQ(batch_claim_lease(seconds(10), 1), seconds(70));
  EXPECT_EQ(batch_claim_lease(seconds(10), 0), seconds(70));  // a batch claims at least one
  WebhookDelivererOptions defaults;
  EXPECT_GT(defaults.claim_lease, seconds(10) * defaults.batch);
}

TEST(TransportErrorClass, NamesTheClassNotTheDetails) {
  EXPECT_EQ(transport_error_class("cannot reach https://h: Operation timed out after 10000 ms"),
            "timeout");
  EXPECT_EQ(transport_error_class("cannot reach https://h: Could not resolve host: h"), "dns");
  EXPECT_EQ(transport_error_class("cannot reach https://h: SSL certificate problem"), "tls");
  EXPECT_EQ(transport_error_class("cannot reach http://127.0.0.1:9: Failed to connect"), "connect");
  EXPECT_EQ(transport_error_class("the response is larger than 1048576 bytes"),
            "response_too_large");
  EXPECT_EQ(transport_error_class("something else"), "transport");
}

// Test that the background thread delivers what is published, woken by the
// sink (no clock movement needed for a first attempt).
TEST_F(WebhookDelivererTest, BackgroundThreadDeliversPublishedEvents) {
  FakeTransport transport([](const client::HttpRequest&) { return answer(200); });
  WebhookDelivererOptions o = options();
  o.idle_poll = std::chrono::milliseconds(20);
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, o);
  deliverer.start();
  const std::string id = publish_key_created();
  deliverer.wake();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stored(id).status != OutboxStatus::kDelivered &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a condition
  }
  deliverer.stop();
  EXPECT_EQ(stored(id).status, OutboxStatus::kDelivered);
  EXPECT_EQ(transport.requests().size(), 1u);
}

// Test that pruning keeps delivered events for the retention, then forgets them.
TEST_F(WebhookDelivererTest, PrunesAfterRetention) {
  const std::string id = publish_key_created();
  FakeTransport transport([](const client::HttpRequest&) { return answer(200); });
  WebhookDeliverer deliverer(store_->outbox(), transport, clock_, random_, options());
  ASSERT_EQ(*deliverer.deliver_due(), 1);
  clock_.advance(hours(24 * 30) - seconds(1));
  EXPECT_EQ(*deliverer.prune(), 0);
  clock_.advance(seconds(2));
  EXPECT_EQ(*deliverer.prune(), 1);
  EXPECT_FALSE(store_->outbox().get(id)->has_value());
}

}  // namespace
}  // namespace latchkey::events
