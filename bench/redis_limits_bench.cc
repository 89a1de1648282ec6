// The cost of a limit decision kept in Redis (docs/rate-limits.md "Across
// nodes (Redis)"): one rate admission is one round trip (one EVALSHA of the
// sliding-log script); a concurrency slot is two (acquire, release). Against
// the redis-server at LATCHKEY_BENCH_REDIS (redis://HOST:PORT), else one
// started for the run on loopback (needs the test support library).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "limits/redis_client.h"
#include "limits/redis_limiters.h"
#if LATCHKEY_BENCH_OWN_REDIS
#include "support/redis_server.h"
#endif

namespace {

using namespace latchkey::limits;

std::string redis_url() {
  if (const char* url = std::getenv("LATCHKEY_BENCH_REDIS")) return url;
#if LATCHKEY_BENCH_OWN_REDIS
  static auto* server = new latchkey::testing::RedisServer();
  return server->url();
#else
  return "redis://127.0.0.1:6379";
#endif
}

std::shared_ptr<RedisClient> client() {
  static std::shared_ptr<RedisClient> shared = [] {
    RedisClientOptions options;
    options.connections = 8;  // one per benchmark thread, as one per I/O thread in latchkeyd
    return std::make_shared<RedisClient>(*parse_redis_url(redis_url()), options);
  }();
  return shared;
}

std::vector<std::string> keys() {
  std::vector<std::string> out;
  for (int i = 0; i < 1024; ++i) out.push_back("key_bench_" + std::to_string(i));
  return out;
}

// Admissions on 1024 keys, Redis's clock; a limit high enough that all are
// admitted (the costlier path: the ZADD happens).
void BM_RedisRateAdmit(benchmark::State& state) {
  static RedisRateLimiter limiter(client(), RedisLimiterOptions{"bench:", nullptr});
  static const std::vector<std::string> ids = keys();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 131;
  std::int64_t unavailable = 0;
  for (auto _ : state) {
    unavailable += limiter.admit(ids[i++ % ids.size()], 1'000'000).unavailable ? 1 : 0;
  }
  if (unavailable > 0) state.SkipWithError("Redis unavailable");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RedisRateAdmit)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// A gateway request's slot: acquire and release (two round trips).
void BM_RedisConcurrencySlot(benchmark::State& state) {
  static RedisConcurrencyLimiter limiter(client(), RedisLimiterOptions{"bench:", nullptr});
  static const std::vector<std::string> ids = keys();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 131;
  for (auto _ : state) {
    auto slot = limiter.try_acquire(ids[i++ % ids.size()] + " GET /x", 5);
    benchmark::DoNotOptimize(slot);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RedisConcurrencySlot)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
