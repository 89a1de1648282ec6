// Rate and concurrency limits kept in Redis (issue 12; docs/rate-limits.md
// "Across nodes (Redis)"), so that every latchkeyd node sharing one Redis
// counts the same admissions: exact across nodes and across restarts.
//
// Each decision is ONE atomic Lua script (EVALSHA), so concurrent nodes never
// interleave inside a decision. Time is Redis's own clock (TIME) unless a
// Clock is given (tests, and latchkeyd --insecure-test-clock): node clocks
// then do not matter.
//
// When Redis cannot be asked (down, timeout, back-off) the limiters say so
// (RateLimitState::unavailable, SlotOutcome::kUnavailable); the pipeline's
// key-limit stage decides what the request gets.
//
// Thread-safety: every member is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "limits/concurrency_limiter.h"
#include "limits/rate_limiter.h"

namespace latchkey {
class Clock;
}

namespace latchkey::limits {

class RedisClient;
struct RedisScript;

struct RedisLimiterOptions {
  // Prefix of every Redis key ("<prefix>rate:<key>", "<prefix>conc:<key>").
  std::string prefix = "latchkey:";
  // nullptr: Redis server time. Else this clock's time is passed to the
  // scripts (every node sharing the Redis must then share the clock).
  const Clock* clock = nullptr;
};

// The sliding log of limits/rate_limiter.h, in a sorted set per key:
// members are admissions, scored by their instant (ms).
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<RedisClient> redis, RedisLimiterOptions options,
                   std::chrono::seconds window = std::chrono::seconds(60));
  ~RedisRateLimiter() override;
  RateLimitState admit(std::string_view key, int limit) override;

 private:
  std::shared_ptr<RedisClient> redis_;
  RedisLimiterOptions options_;
  std::chrono::milliseconds window_;
  std::unique_ptr<RedisScript> script_;
  std::string node_;  // random: makes admission members unique across nodes
  std::atomic<std::uint64_t> sequence_{0};
};

// Concurrency slots as LEASES: a slot is a member of a sorted set per
// (key, route), scored by its lease's expiry. This node renews the leases it
// holds every lease/3 (one script call for all of them); a node that dies
// stops renewing, so its slots come back at most `lease` after its last
// renewal, i.e. at most `lease` after it died (docs/rate-limits.md). Nodes
// may use different leases: a set's TTL follows its last lease's expiry.
// A release is one synchronous ZREM (bounded by the command timeout) on the
// releasing thread; if it fails, the unrenewed lease expires by itself.
class RedisConcurrencyLimiter final : public ConcurrencyLimiter {
 public:
  RedisConcurrencyLimiter(std::shared_ptr<RedisClient> redis, RedisLimiterOptions options,
                          std::chrono::milliseconds lease = std::chrono::seconds(30),
                          bool background_renewal = true);
  ~RedisConcurrencyLimiter() override;

  SlotAcquisition acquire(std::string_view key, int limit) override;
  int in_use(std::string_view key) const override;

  // Extends every lease this node holds to now + lease; the number renewed
  // (-1 when Redis could not be asked). Called by the renewer; tests call it.
  int renew_now();
  // Tests only: behave as a node that died: stop renewing, and let held
  // slots' releases do nothing (their leases stay in Redis until they expire).
  void simulate_crash();

 protected:
  void release_slot(const std::string& key, const std::string& lease) override;

 private:
  void renew_loop();
  std::string time_arg() const;

  std::shared_ptr<RedisClient> redis_;
  RedisLimiterOptions options_;
  std::chrono::milliseconds lease_;
  std::unique_ptr<RedisScript> acquire_script_;
  std::unique_ptr<RedisScript> renew_script_;
  std::unique_ptr<RedisScript> count_script_;
  std::string node_;
  std::atomic<std::uint64_t> sequence_{0};

  std::mutex mu_;
  std::unordered_map<std::string, std::string> held_;  // GUARDED_BY(mu_): lease -> Redis key
  bool crashed_ = false;                               // GUARDED_BY(mu_)
  bool stopping_ = false;                              // GUARDED_BY(mu_)
  std::condition_variable wake_;
  std::thread renewer_;
};

}  // namespace latchkey::limits
