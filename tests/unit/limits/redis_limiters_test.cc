// The Redis limiters across nodes (issue 12 item 2; docs/rate-limits.md
// "Across nodes (Redis)"): three limiter instances, each with its own
// connections, stand for three latchkeyd nodes sharing one real Redis.
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <thread>
#include <vector>

#include "limits/make_limiters.h"
#include "redis_fixture.h"
#include "support/fake_clock.h"

namespace latchkey::limits {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;

// Test that 3 nodes x 4 threads, all sending at once at each instant of a
// FakeClock for five minutes, get exactly what one exact limiter would give:
// at each instant min(requests, 60 - admissions of the last 60 s), so no
// 60-second window ever admits more than 60 and none refuses with room.
TEST(RedisAcrossNodes, SixtyPerMinuteExactAcrossThreeNodesAndManyThreads) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  std::vector<std::unique_ptr<RedisRateLimiter>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<RedisRateLimiter>(redis_client(), on_clock(clock, prefix)));
  }
  constexpr int kThreadsPerNode = 4;
  constexpr int kRequestsPerThread = 3;  // 36 requests at each instant
  constexpr int kSteps = 45;             // one instant every 7 s: 5 min 15 s
  std::atomic<int> admitted_now{0};
  std::vector<int> admitted_at(kSteps, 0);
  int step = 0;
  std::barrier sync(3 * kThreadsPerNode, [&]() noexcept {
    // All threads are done with this instant: record it, move time.
    admitted_at[step] = admitted_now.exchange(0);
    ++step;
    clock.advance(seconds(7));
  });
  std::vector<std::thread> threads;
  for (int n = 0; n < 3; ++n) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      threads.emplace_back([&, n] {
        for (int s = 0; s < kSteps; ++s) {
          for (int r = 0; r < kRequestsPerThread; ++r) {
            const RateLimitState state = nodes[n]->admit("key_exact", 60);
            EXPECT_FALSE(state.unavailable);
            if (state.admitted) admitted_now.fetch_add(1);
          }
          sync.arrive_and_wait();
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int s = 0; s < kSteps; ++s) {
    // Admissions at instants within the last 60 s (steps s-8 .. s-1: 7 s apart).
    int in_window = 0;
    for (int p = std::max(0, s - 8); p < s; ++p) in_window += admitted_at[p];
    EXPECT_EQ(admitted_at[s], std::min(36, 60 - in_window)) << "at step " << s;
    EXPECT_LE(in_window + admitted_at[s], 60);
    total += admitted_at[s];
  }
  EXPECT_GT(total, 240);  // several windows' worth were admitted
}

// Test that a node restarting mid-window (its limiter destroyed and a new
// one made, new connections) does not reset the count: still exactly 60 in
// the window across the restart and the other nodes.
TEST(RedisAcrossNodes, RestartMidWindowKeepsTheCount) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  auto node_a = std::make_unique<RedisRateLimiter>(redis_client(), on_clock(clock, prefix));
  RedisRateLimiter node_b(redis_client(), on_clock(clock, prefix));
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(node_a->admit("k", 60).admitted);
  clock.advance(seconds(10));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(node_b.admit("k", 60).admitted);
  clock.advance(seconds(10));
  node_a.reset();  // the node goes down ...
  node_a = std::make_unique<RedisRateLimiter>(redis_client(), on_clock(clock, prefix));  // ... up
  int admitted = 0;
  for (int i = 0; i < 40; ++i) admitted += node_a->admit("k", 60).admitted ? 1 : 0;
  EXPECT_EQ(admitted, 25);
  const RateLimitState refused = node_b.admit("k", 60);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, seconds(40));  // the first 25 leave at t0 + 60 s
  clock.advance(seconds(40));
  admitted = 0;
  for (int i = 0; i < 40; ++i) admitted += node_b.admit("k", 60).admitted ? 1 : 0;
  EXPECT_EQ(admitted, 25);
}

// Test that concurrency is exact across nodes: 3 nodes x 8 threads racing
// for a limit of 5 get exactly 5 slots; a release on one node frees exactly
// one slot for any node.
TEST(RedisAcrossNodes, ConcurrencyExactAcrossNodes) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  std::vector<std::unique_ptr<RedisConcurrencyLimiter>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(
        std::make_unique<RedisConcurrencyLimiter>(redis_client(), on_clock(clock, prefix)));
  }
  std::mutex mu;
  std::vector<Slot> held;
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 4; ++r) {
        SlotAcquisition got = nodes[t % 3]->acquire("key_c POST /x", 5);
        EXPECT_NE(got.outcome, SlotOutcome::kUnavailable);
        if (got.outcome == SlotOutcome::kAcquired) {
          std::lock_guard lock(mu);
          held.push_back(std::move(got.slot));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(held.size(), 5u);
  EXPECT_EQ(nodes[1]->in_use("key_c POST /x"), 5);
  held.pop_back();  // released on whichever node acquired it
  EXPECT_EQ(nodes[2]->in_use("key_c POST /x"), 4);
  EXPECT_TRUE(nodes[2]->try_acquire("key_c POST /x", 5).has_value());  // released at once
  auto again = nodes[0]->try_acquire("key_c POST /x", 5);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(nodes[1]->try_acquire("key_c POST /x", 5).has_value());
}

// Test that the slots of a node that dies (no release, no more renewals)
// come back exactly one lease after its last renewal, not a millisecond
// before; and that a live node's renewals keep its slots past the lease.
TEST(RedisAcrossNodes, KilledNodesSlotsComeBackAfterTheLease) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  const milliseconds lease = seconds(30);
  auto dying = std::make_unique<RedisConcurrencyLimiter>(redis_client(), on_clock(clock, prefix),
                                                         lease, /*background_renewal=*/false);
  RedisConcurrencyLimiter survivor(redis_client(), on_clock(clock, prefix), lease, false);
  std::vector<Slot> dying_slots;
  for (int i = 0; i < 3; ++i) dying_slots.push_back(*dying->try_acquire("k GET /y", 5));
  auto kept = survivor.try_acquire("k GET /y", 5);
  ASSERT_TRUE(kept.has_value());
  clock.advance(seconds(10));
  EXPECT_EQ(dying->renew_now(), 3);  // its last renewal: leases to t0 + 40 s
  EXPECT_EQ(survivor.renew_now(), 1);
  dying->simulate_crash();
  dying_slots.clear();  // releases of a dead node never reach Redis
  EXPECT_EQ(survivor.in_use("k GET /y"), 4);

  clock.advance(seconds(20));
  EXPECT_EQ(survivor.renew_now(), 1);  // t0 + 30 s: the survivor's lease to t0 + 60 s
  clock.advance(milliseconds(9'999));  // t0 + 39.999 s: one ms before the lease ends
  EXPECT_EQ(survivor.in_use("k GET /y"), 4);
  EXPECT_TRUE(survivor.try_acquire("k GET /y", 5).has_value());  // the fifth, released again
  std::optional<Slot> fifth = survivor.try_acquire("k GET /y", 5);
  ASSERT_TRUE(fifth.has_value());
  EXPECT_FALSE(survivor.try_acquire("k GET /y", 5).has_value());
  clock.advance(milliseconds(1));  // t0 + 40 s: the dead node's leases end
  EXPECT_EQ(survivor.in_use("k GET /y"), 2);
  std::vector<Slot> reclaimed;
  for (int i = 0; i < 3; ++i) {
    auto s = survivor.try_acquire("k GET /y", 5);
    ASSERT_TRUE(s.has_value()) << i;
    reclaimed.push_back(std::move(*s));
  }
  EXPECT_FALSE(survivor.try_acquire("k GET /y", 5).has_value());
  dying.reset();
}

// Test that a lease that expired (its node stalled past the lease) is not
// revived by a late renewal: the slot was given to someone else.
TEST(RedisAcrossNodes, ExpiredLeaseIsNotRevived) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  RedisConcurrencyLimiter stalled(redis_client(), on_clock(clock, prefix), seconds(30), false);
  RedisConcurrencyLimiter other(redis_client(), on_clock(clock, prefix), seconds(30), false);
  auto slot = stalled.try_acquire("k", 1);
  ASSERT_TRUE(slot.has_value());
  clock.advance(seconds(30));
  EXPECT_EQ(stalled.renew_now(), 0);
  auto taken = other.try_acquire("k", 1);
  EXPECT_TRUE(taken.has_value());
  EXPECT_EQ(other.in_use("k"), 1);
}

// Test that nodes with different limits_lease_s share a leases set safely:
// the set's Redis TTL always covers its longest live lease, so a node with a
// 1 s lease acquiring or renewing never makes Redis drop a 60 s lease early
// (which would free its slot: over-admission). The TTL is Redis's real time,
// so this checks PTTL rather than waiting for it.
TEST(RedisAcrossNodes, ShortLeaseNodeNeverExpiresLongerLeases) {
  FakeClock clock;
  const std::string prefix = fresh_prefix();
  RedisConcurrencyLimiter long_lease(redis_client(), on_clock(clock, prefix), seconds(60), false);
  RedisConcurrencyLimiter short_lease(redis_client(), on_clock(clock, prefix), seconds(1), false);
  auto raw = redis_client();
  auto pttl = [&] {
    auto replies = raw->run({{"PTTL", prefix + "conc:k GET /z"}});
    EXPECT_TRUE(replies.has_value());
    return replies ? (*replies)[0].integer : -3;
  };

  auto held = long_lease.try_acquire("k GET /z", 2);
  ASSERT_TRUE(held.has_value());
  EXPECT_GT(pttl(), 59'000);  // the long lease's 60 s (less real time elapsed)
  auto brief = short_lease.try_acquire("k GET /z", 2);
  ASSERT_TRUE(brief.has_value());
  EXPECT_GT(pttl(), 59'000);  // not cut to the short node's 1 s
  EXPECT_EQ(short_lease.renew_now(), 1);
  EXPECT_GT(pttl(), 59'000);  // nor by its renewals

  // On the scripts' clock the short lease ends and the long one holds.
  clock.advance(milliseconds(1'500));
  EXPECT_EQ(short_lease.renew_now(), 0);
  EXPECT_EQ(long_lease.in_use("k GET /z"), 1);
  EXPECT_TRUE(short_lease.try_acquire("k GET /z", 2).has_value());
  auto second = short_lease.try_acquire("k GET /z", 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(short_lease.try_acquire("k GET /z", 2).has_value());
  EXPECT_GT(pttl(), 57'000);  // the long lease ends at t0 + 60 s: 58.5 s from now
  held.reset();
  brief.reset();
}

// Test the documented failure mode: with Redis down every decision is
// "unavailable" (never admitted, never refused), fast (connection refused,
// then back-off), logged once per outage; when Redis is back (empty, its
// scripts forgotten) the same limiters recover without being rebuilt.
TEST(RedisOutage, DownIsUnavailableThenRecovers) {
  testing::RedisServer redis;
  FakeClock clock;
  std::atomic<int> warnings{0};
  std::atomic<int> recoveries{0};
  LimitersOptions options;
  options.url = redis.url();
  options.use_clock_time = true;
  options.log = [&](bool warning, std::string_view message) {
    (warning ? warnings : recoveries).fetch_add(1);
    EXPECT_NE(message.find("127.0.0.1"), std::string_view::npos);
  };
  auto limiters = make_limiters(options, clock);
  ASSERT_TRUE(limiters.has_value()) << limiters.error().description;
  ASSERT_TRUE(limiters->rate->admit("k", 60).admitted);
  auto held = limiters->concurrency->try_acquire("k GET /", 5);
  ASSERT_TRUE(held.has_value());

  redis.stop();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    const RateLimitState state = limiters->rate->admit("k", 60);
    EXPECT_TRUE(state.unavailable);
    EXPECT_FALSE(state.admitted);
    EXPECT_EQ(limiters->concurrency->acquire("k GET /", 5).outcome, SlotOutcome::kUnavailable);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
  held.reset();  // a release while down: the lease would just expire
  EXPECT_EQ(warnings.load(), 1);
  EXPECT_EQ(recoveries.load(), 0);

  redis.start();
  // Back-off: the connections retry within max_backoff (1 s).
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  RateLimitState state;
  do {
    state = limiters->rate->admit("k", 60);
    if (!state.unavailable) break;
    std::this_thread::sleep_for(milliseconds(20));  // waiting for a real reconnect
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_FALSE(state.unavailable);
  EXPECT_TRUE(state.admitted);
  EXPECT_EQ(state.remaining, 59);  // the restarted Redis is empty
  EXPECT_EQ(limiters->concurrency->acquire("k GET /", 5).outcome, SlotOutcome::kAcquired);
  EXPECT_EQ(recoveries.load(), 1);
}

// Test that a Redis that stops answering (frozen) is "unavailable" within
// the command timeout, not a hung I/O thread.
TEST(RedisOutage, FrozenRedisTimesOut) {
  testing::RedisServer redis;
  FakeClock clock;
  LimitersOptions options;
  options.url = redis.url();
  options.use_clock_time = true;
  auto limiters = make_limiters(options, clock);
  ASSERT_TRUE(limiters.has_value());
  ASSERT_TRUE(limiters->rate->admit("k", 60).admitted);
  redis.suspend();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(limiters->rate->admit("k", 60).unavailable);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, milliseconds(400));  // 100 ms command timeout (+ reconnect attempt)
  redis.resume();
}

// Test the URL forms, and that a password never appears in the redacted form.
TEST(RedisUrl, ParsesAndRedacts) {
  auto plain = parse_redis_url("redis://10.0.0.5:6380");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "10.0.0.5");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->db, 0);
  EXPECT_EQ(plain->redacted(), "redis://10.0.0.5:6380");
  auto full = parse_redis_url("redis://limits:s3cret-pw@redis.internal/2");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->user, "limits");
  EXPECT_EQ(full->password, "s3cret-pw");
  EXPECT_EQ(full->port, 6379);
  EXPECT_EQ(full->db, 2);
  EXPECT_EQ(full->redacted(), "redis://limits:***@redis.internal:6379/2");
  auto only_password = parse_redis_url("redis://:pw@h:1");
  ASSERT_TRUE(only_password.has_value());
  EXPECT_EQ(only_password->redacted().find("pw"), std::string::npos);
  for (const char* bad :
       {"http://h:1", "redis://", "redis://h:0", "redis://h:x", "redis://h/x", "redis://h:70000"}) {
    EXPECT_FALSE(parse_redis_url(bad).has_value()) << bad;
  }
  FakeClock clock;
  LimitersOptions options;
  options.url = "redis://:hunter2@127.0.0.1:1";
  auto limiters = make_limiters(options, clock);
  ASSERT_TRUE(limiters.has_value());
  EXPECT_EQ(limiters->description.find("hunter2"), std::string::npos);
  options.url = "postgres://x";
  EXPECT_FALSE(make_limiters(options, clock).has_value());
}

}  // namespace
}  // namespace latchkey::limits
