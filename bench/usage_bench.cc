// The hot-path cost of usage per API key (docs/key-usage.md): what the
// pipeline's usage stage adds to each request attributable to a key, i.e.
// one UsageCounter::record() (a sharded mutex and a few hash lookups), from
// one thread and from several at once; and a flush's take of the pending
// counts.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "usage/usage_counter.h"

namespace {

using latchkey::from_unix_millis;
using latchkey::Instant;
using latchkey::usage::UsageCounter;

const Instant kAt = from_unix_millis(1'795'000'000'000);

UsageCounter& shared_counter() {
  static UsageCounter* counter = new UsageCounter();
  return *counter;
}

std::vector<std::string> key_ids(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("key_" + std::to_string(100000 + i) + "abcdefghijklm");
  return out;
}

// The common case: the (key, route, class, hour) entry exists already.
void BM_RecordOneKey(benchmark::State& state) {
  UsageCounter counter;
  for (auto _ : state) {
    counter.record("key_0123456789abcdefghij", "GET /api/v1/account/me", 200, "", kAt);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordOneKey);

// Many threads, 64 keys and 4 routes between them: shard contention.
void BM_RecordContended(benchmark::State& state) {
  static const std::vector<std::string> keys = key_ids(64);
  static const std::vector<std::string> routes = {"GET /api/v1/account/me", "POST /v1/authorize",
                                                  "GET /v1/auth-request",
                                                  "POST /v2/auth/token/access"};
  UsageCounter& counter = shared_counter();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    counter.record(keys[i % keys.size()], routes[i % routes.size()], 200, "", kAt);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordContended)->Threads(1)->Threads(2)->Threads(8);

// A refusal: the reason is counted too.
void BM_RecordRefusal(benchmark::State& state) {
  UsageCounter counter;
  for (auto _ : state) {
    counter.record("key_0123456789abcdefghij", "POST /v1/authorize", 403,
                   "no_application_entitlement", kAt);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRefusal);

// A flush's take: 1000 keys x 4 routes pending.
void BM_TakePending(benchmark::State& state) {
  const std::vector<std::string> keys = key_ids(1000);
  UsageCounter counter;
  for (auto _ : state) {
    state.PauseTiming();
    for (const std::string& k : keys) {
      for (const char* r : {"GET /a", "GET /b", "POST /c", "PUT /d"})
        counter.record(k, r, 200, "", kAt);
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(counter.take_pending());
  }
}
BENCHMARK(BM_TakePending)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
