// Store conformance for the webhook outbox (event_outbox_store.h). Runs on
// every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "store/event_outbox_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

NewOutboxEvent event(std::string id, Instant at, std::string dedup_key = {}) {
  return NewOutboxEvent{std::move(id),           "key.created",        at,
                        R"({"key_id":"key_1"})", std::move(dedup_key), at};
}

// Test that an enqueued event is pending, due at once, and survives a reopen.
TEST_P(StoreConformanceTest, OutboxEnqueuedEventIsPendingAndDurable) {
  const Instant now = clock_.now();
  auto stored = store_->outbox().enqueue(event("evt_a", now));
  ASSERT_TRUE(stored) << stored.error().description;
  EXPECT_TRUE(*stored);
  reopen();
  auto got = store_->outbox().get("evt_a");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  const OutboxEvent& e = **got;
  EXPECT_EQ(e.type, "key.created");
  EXPECT_EQ(e.occurred_at, now);
  EXPECT_EQ(e.data_json, R"({"key_id":"key_1"})");
  EXPECT_EQ(e.status, OutboxStatus::kPending);
  EXPECT_EQ(e.attempts, 0);
  EXPECT_EQ(e.next_attempt_at, now);
  EXPECT_FALSE(e.last_attempt_at.has_value());
  EXPECT_FALSE(e.delivered_at.has_value());
  auto missing = store_->outbox().get("evt_none");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

// Test that a second event with the same non-empty dedup key is dropped
// without an error, that empty keys never deduplicate, and that a taken id
// is a conflict.
TEST_P(StoreConformanceTest, OutboxDedupKeyDropsDuplicates) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_a", now, "secret.rotation_due:cli_1:1")));
  auto again = outbox.enqueue(event("evt_b", now, "secret.rotation_due:cli_1:1"));
  ASSERT_TRUE(again) << again.error().description;
  EXPECT_FALSE(*again);
  EXPECT_FALSE(outbox.get("evt_b")->has_value());
  ASSERT_TRUE(*outbox.enqueue(event("evt_c", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_d", now)));
  auto taken = outbox.enqueue(event("evt_c", now, "other"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  EXPECT_EQ(outbox.counts()->pending, 3);
}

// Test that claim_due hands out only due events, oldest due first, and
// hides a claimed event until its lease lapses.
TEST_P(StoreConformanceTest, OutboxClaimLeasesDueEvents) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_late", now + seconds(30))));
  ASSERT_TRUE(*outbox.enqueue(event("evt_b", now + seconds(1))));
  ASSERT_TRUE(*outbox.enqueue(event("evt_a", now)));
  auto first = outbox.claim_due(now + seconds(1), 10, minutes(1));
  ASSERT_TRUE(first) << first.error().description;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, "evt_a");
  EXPECT_EQ((*first)[1].id, "evt_b");
  EXPECT_EQ((*first)[0].next_attempt_at, now + seconds(61));
  // Claimed: not handed out again within the lease; the late one is due.
  auto second = outbox.claim_due(now + seconds(30), 10, minutes(1));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().id, "evt_late");
  auto due = outbox.next_due();
  ASSERT_TRUE(due);
  ASSERT_TRUE(due->has_value());
  EXPECT_EQ(**due, now + seconds(61));  // the first claim's lease
  // The lease lapsed (a deliverer died mid-attempt): due again, ties in
  // enqueue order.
  auto third = outbox.claim_due(now + seconds(61), 10, minutes(1));
  ASSERT_TRUE(third);
  ASSERT_EQ(third->size(), 2u);
  EXPECT_EQ((*third)[0].id, "evt_b");
  EXPECT_EQ((*third)[1].id, "evt_a");
  EXPECT_EQ(**outbox.next_due(), now + seconds(90));  // evt_late's lease
}

// Test that concurrent claimers never get the same event.
TEST_P(StoreConformanceTest, OutboxConcurrentClaimsAreDisjoint) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(*outbox.enqueue(event("evt_" + std::to_string(i), now)));
  }
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto claimed = outbox.claim_due(now, 3, hours(1));
        if (!claimed || claimed->empty()) return;
        for (const auto& e : *claimed) got[t].push_back(e.id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  std::size_t total = 0;
  for (const auto& ids : got) {
    total += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(all.size(), 40u);
}

// Test that a delivery and a failure are recorded with their attempt count,
// error and next due time, that giving up makes the event dead, and that
// marks only apply to pending events.
TEST_P(StoreConformanceTest, OutboxMarksDeliveredFailedAndDead) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_ok", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_retry", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_dead", now)));

  ASSERT_TRUE(*outbox.mark_failed("evt_ok", {now, "http 500", now + seconds(10)}));
  ASSERT_TRUE(*outbox.mark_delivered("evt_ok", now + seconds(10)));
  auto ok = *outbox.get("evt_ok");
  EXPECT_EQ(ok->status, OutboxStatus::kDelivered);
  EXPECT_EQ(ok->attempts, 2);
  EXPECT_EQ(ok->delivered_at, now + seconds(10));
  EXPECT_EQ(ok->last_error, "");
  EXPECT_FALSE(*outbox.mark_delivered("evt_ok", now + seconds(11)));
  EXPECT_FALSE(*outbox.mark_failed("evt_ok", {now, "timeout", now}));
  EXPECT_EQ(outbox.get("evt_ok")->value().status, OutboxStatus::kDelivered);

  ASSERT_TRUE(*outbox.mark_failed("evt_retry", {now + seconds(1), "connect", now + seconds(20)}));
  auto retry = *outbox.get("evt_retry");
  EXPECT_EQ(retry->status, OutboxStatus::kPending);
  EXPECT_EQ(retry->attempts, 1);
  EXPECT_EQ(retry->last_error, "connect");
  EXPECT_EQ(retry->last_attempt_at, now + seconds(1));
  EXPECT_EQ(retry->next_attempt_at, now + seconds(20));

  ASSERT_TRUE(*outbox.mark_failed("evt_dead", {now + seconds(2), "http 404", std::nullopt}));
  auto dead = *outbox.get("evt_dead");
  EXPECT_EQ(dead->status, OutboxStatus::kDead);
  EXPECT_EQ(dead->last_error, "http 404");
  EXPECT_FALSE(*outbox.mark_delivered("evt_dead", now));
  EXPECT_FALSE(*outbox.mark_delivered("evt_none", now));
  // Neither delivered nor dead events are claimed; the retry is not due yet.
  EXPECT_TRUE(outbox.claim_due(now + seconds(19), 10, minutes(1))->empty());

  auto counts = outbox.counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->pending, 1);
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->dead, 1);
}

// Test that requeue makes a dead or delivered event pending and due now,
// with a fresh attempt budget; an unknown id is kNotFound.
TEST_P(StoreConformanceTest, OutboxRequeueRedelivers) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_a", now)));
  ASSERT_TRUE(*outbox.mark_failed("evt_a", {now, "http 410", std::nullopt}));
  auto requeued = outbox.requeue("evt_a", now + hours(2));
  ASSERT_TRUE(requeued) << requeued.error().description;
  EXPECT_EQ(requeued->status, OutboxStatus::kPending);
  EXPECT_EQ(requeued->attempts, 0);
  EXPECT_EQ(requeued->next_attempt_at, now + hours(2));
  EXPECT_EQ(requeued->last_error, "http 410");  // kept until the next attempt
  auto claimed = outbox.claim_due(now + hours(2), 10, minutes(1));
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_TRUE(*outbox.mark_delivered("evt_a", now + hours(2)));
  ASSERT_TRUE(outbox.requeue("evt_a", now + hours(3)));
  EXPECT_EQ(outbox.get("evt_a")->value().status, OutboxStatus::kPending);
  EXPECT_FALSE(outbox.get("evt_a")->value().delivered_at.has_value());
  auto missing = outbox.requeue("evt_none", now);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Test that an attempt's outcome is recorded only under the claim it was
// made under: an admin's requeue during the attempt (or a later claim after
// the lease lapsed) wins, the event stays pending and due, so that the
// redelivery is not silently swallowed by the attempt in flight.
TEST_P(StoreConformanceTest, OutboxMarksOnlyUnderTheClaimHeld) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_a", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_b", now)));
  auto claimed = outbox.claim_due(now, 10, minutes(5));
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 2u);
  const Instant claim = claimed->front().next_attempt_at;
  EXPECT_EQ(claim, now + minutes(5));

  // The admin redelivers both while their attempts are in flight.
  ASSERT_TRUE(outbox.requeue("evt_a", now + seconds(1)));
  ASSERT_TRUE(outbox.requeue("evt_b", now + seconds(1)));
  EXPECT_FALSE(*outbox.mark_delivered("evt_a", now + seconds(2), claim));
  EXPECT_FALSE(*outbox.mark_failed("evt_b", {now + seconds(2), "timeout", now + hours(1), claim}));
  for (const char* id : {"evt_a", "evt_b"}) {
    auto stored = outbox.get(id)->value();
    EXPECT_EQ(stored.status, OutboxStatus::kPending) << id;
    EXPECT_EQ(stored.attempts, 0) << id;
    EXPECT_EQ(stored.next_attempt_at, now + seconds(1)) << id;  // still due at once
  }

  // Under the claim still held, the marks apply.
  auto again = outbox.claim_due(now + seconds(3), 10, minutes(5));
  ASSERT_EQ(again->size(), 2u);
  const Instant second = again->front().next_attempt_at;
  EXPECT_FALSE(*outbox.mark_delivered("evt_a", now + seconds(4), claim));  // the old claim
  EXPECT_TRUE(*outbox.mark_delivered("evt_a", now + seconds(4), second));
  EXPECT_TRUE(*outbox.mark_failed("evt_b", {now + seconds(4), "timeout", now + hours(1), second}));
  EXPECT_EQ(outbox.get("evt_a")->value().status, OutboxStatus::kDelivered);
  EXPECT_EQ(outbox.get("evt_b")->value().attempts, 1);
}

// Test that list pages newest first, filters by status, and refuses a bad
// limit.
TEST_P(StoreConformanceTest, OutboxListPagesNewestFirst) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(*outbox.enqueue(event("evt_" + std::to_string(i), now + seconds(i))));
  }
  ASSERT_TRUE(*outbox.mark_delivered("evt_1", now));
  ASSERT_TRUE(*outbox.mark_delivered("evt_3", now));
  OutboxQuery query;
  query.limit = 2;
  auto first = outbox.list(query);
  ASSERT_TRUE(first) << first.error().description;
  ASSERT_EQ(first->events.size(), 2u);
  EXPECT_EQ(first->events[0].id, "evt_4");
  EXPECT_EQ(first->events[1].id, "evt_3");
  ASSERT_TRUE(first->next.has_value());
  query.before = first->next;
  auto second = outbox.list(query);
  ASSERT_EQ(second->events.size(), 2u);
  EXPECT_EQ(second->events[0].id, "evt_2");
  query.before = second->next;
  auto last = outbox.list(query);
  ASSERT_EQ(last->events.size(), 1u);
  EXPECT_EQ(last->events[0].id, "evt_0");
  EXPECT_FALSE(last->next.has_value());

  OutboxQuery delivered;
  delivered.status = OutboxStatus::kDelivered;
  auto only = outbox.list(delivered);
  ASSERT_EQ(only->events.size(), 2u);
  EXPECT_EQ(only->events[0].id, "evt_3");
  EXPECT_EQ(only->events[1].id, "evt_1");
  EXPECT_FALSE(only->next.has_value());

  OutboxQuery bad;
  bad.limit = 0;
  EXPECT_EQ(outbox.list(bad).error().code, ErrorCode::kInvalidRequest);
  bad.limit = kMaxOutboxPageSize + 1;
  EXPECT_EQ(outbox.list(bad).error().code, ErrorCode::kInvalidRequest);
}

// Test that pruning forgets delivered and dead events finished before the
// cut-off (and their dedup keys), never pending ones.
TEST_P(StoreConformanceTest, OutboxPruneForgetsFinishedEvents) {
  const Instant now = clock_.now();
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(event("evt_old", now, "k_old")));
  ASSERT_TRUE(*outbox.enqueue(event("evt_dead", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_new", now)));
  ASSERT_TRUE(*outbox.enqueue(event("evt_pending", now - hours(24 * 90))));
  ASSERT_TRUE(*outbox.mark_delivered("evt_old", now));
  ASSERT_TRUE(*outbox.mark_failed("evt_dead", {now, "connect", std::nullopt}));
  ASSERT_TRUE(*outbox.mark_delivered("evt_new", now + hours(1)));
  auto pruned = outbox.prune(now + minutes(1));
  ASSERT_TRUE(pruned) << pruned.error().description;
  EXPECT_EQ(*pruned, 2);
  EXPECT_FALSE(outbox.get("evt_old")->has_value());
  EXPECT_FALSE(outbox.get("evt_dead")->has_value());
  EXPECT_TRUE(outbox.get("evt_new")->has_value());
  EXPECT_TRUE(outbox.get("evt_pending")->has_value());
  EXPECT_TRUE(*outbox.enqueue(event("evt_again", now, "k_old")));
}

}  // namespace
}  // namespace latchkey::testing
