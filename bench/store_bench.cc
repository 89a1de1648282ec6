// Benchmarks of the SQLite store: account-token issuance through group commit
// (synchronous=FULL, so every acknowledged issuance is on disk) from 1 to 64
// threads, and the read path. Run:
//
//   ./build/bench/store_bench --benchmark_filter=Issue
//
// Counters: items_per_second (issuances/s over all threads), avg_batch (jobs
// per commit), largest_batch, and commits_per_second.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace latchkey {
namespace {

constexpr int kUsers = 64;

struct Fixture {
  std::string dir;
  std::unique_ptr<SqliteStore> store;
  std::vector<std::string> user_ids;
  std::vector<Digest> live_digests;  // one issued token per user, for reads
};

Fixture* fixture = nullptr;

std::string user_id(int i) { return "usr_bench" + std::to_string(i); }

Digest digest_of(std::uint64_t a, std::uint64_t b) {
  Digest digest{};
  std::memcpy(digest.data(), &a, sizeof a);
  std::memcpy(digest.data() + 8, &b, sizeof b);
  digest[31] = 0xbe;
  return digest;
}

AccountToken token_for(const std::string& user, std::uint64_t thread, std::uint64_t n) {
  AccountToken token;
  token.digest = digest_of(thread + 1, n);
  token.user_id = user;
  token.client_id = "cli_bench";
  token.issued_at = from_unix_millis(1'795'000'000'000 + static_cast<std::int64_t>(n));
  token.expires_at = token.issued_at + std::chrono::days(365);
  token.issuer_ip = "192.0.2.1";
  token.issuer_user_agent = "store_bench";
  return token;
}

// Counts and wall time of the write path over one benchmark run, measured by
// thread 0 between the start and stop barriers that all threads share.
class WriteWindow {
 public:
  void start(const benchmark::State& state) {
    if (state.thread_index() != 0) return;
    before_ = fixture->store->write_stats();
    started_ = std::chrono::steady_clock::now();
  }
  void stop(benchmark::State& state) {
    if (state.thread_index() != 0) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const sqlite::WriteStats after = fixture->store->write_stats();
    const double jobs = static_cast<double>(after.jobs - before_.jobs);
    const double batches = static_cast<double>(after.batches - before_.batches);
    state.counters["avg_batch"] = batches > 0 ? jobs / batches : 0;
    state.counters["largest_batch"] = static_cast<double>(after.largest_batch);
    state.counters["commits_per_second"] = seconds > 0 ? batches / seconds : 0;
    state.counters["issued_per_second_wall"] = seconds > 0 ? jobs / seconds : 0;
  }

 private:
  sqlite::WriteStats before_;
  std::chrono::steady_clock::time_point started_;
};

// Each thread issues tokens for its own user (distinct users, as in
// production); every issuance supersedes that user's previous token.
void BM_IssueAccountToken(benchmark::State& state) {
  static WriteWindow window;
  const auto thread = static_cast<std::uint64_t>(state.thread_index());
  const std::string& user = fixture->user_ids[thread % kUsers];
  static std::uint64_t run = 0;  // distinct digests across runs
  std::uint64_t n = (run + 1) << 32;
  bool started = false;
  for (auto _ : state) {
    if (!started) {
      started = true;
      window.start(state);
    }
    if (!fixture->store->issue_account_token(token_for(user, thread, n++))) {
      state.SkipWithError("issue_account_token failed");
      break;
    }
  }
  window.stop(state);
  if (state.thread_index() == 0) ++run;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueAccountToken)->ThreadRange(1, 64)->UseRealTime()->MinTime(2.0);

// All threads issue for one user: the worst case for invariant 1.
void BM_IssueAccountTokenOneUser(benchmark::State& state) {
  static WriteWindow window;
  const auto thread = static_cast<std::uint64_t>(state.thread_index());
  static std::uint64_t run = 0;
  std::uint64_t n = (run + 1) << 40;
  bool started = false;
  for (auto _ : state) {
    if (!started) {
      started = true;
      window.start(state);
    }
    if (!fixture->store->issue_account_token(token_for(fixture->user_ids[0], thread + 100, n++))) {
      state.SkipWithError("issue_account_token failed");
      break;
    }
  }
  window.stop(state);
  if (state.thread_index() == 0) ++run;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueAccountTokenOneUser)->Threads(64)->UseRealTime()->MinTime(2.0);

// The read path: looking a token up (the store is behind the token cache in
// production, so this is the cache-miss cost).
void BM_FindAccountToken(benchmark::State& state) {
  const auto thread = static_cast<std::size_t>(state.thread_index());
  std::size_t i = thread;
  for (auto _ : state) {
    auto lookup = fixture->store->find_account_token(
        fixture->live_digests[i++ % fixture->live_digests.size()]);
    if (!lookup) {
      state.SkipWithError("find_account_token failed");
      break;
    }
    benchmark::DoNotOptimize(lookup);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindAccountToken)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

bool set_up() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "latchkey-store-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return false;
  fixture = new Fixture;
  fixture->dir = pattern;
  auto store = SqliteStore::open(StoreOptions{fixture->dir, 4, 256});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().description.c_str());
    return false;
  }
  fixture->store = std::move(*store);
  for (int i = 0; i < kUsers; ++i) {
    NewUser user;
    user.id = user_id(i);
    user.name = "bench" + std::to_string(i);
    user.api_access = true;
    user.created_at = from_unix_millis(1'795'000'000'000);
    if (!fixture->store->create_user(user)) return false;
    fixture->user_ids.push_back(user.id);
    // Read targets belong to users the issuance benchmarks never touch.
    NewUser reader = user;
    reader.id = "usr_reader" + std::to_string(i);
    reader.name = "reader" + std::to_string(i);
    if (!fixture->store->create_user(reader)) return false;
    const AccountToken token = token_for(reader.id, 1'000'000 + i, 0);
    if (!fixture->store->issue_account_token(token)) return false;
    fixture->live_digests.push_back(token.digest);
  }
  return true;
}

void tear_down() {
  if (fixture == nullptr) return;
  const sqlite::WriteStats stats = fixture->store->write_stats();
  std::fprintf(stderr, "store_bench: %llu writes in %llu commits (largest batch %llu)\n",
               static_cast<unsigned long long>(stats.jobs),
               static_cast<unsigned long long>(stats.batches),
               static_cast<unsigned long long>(stats.largest_batch));
  fixture->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(fixture->dir, ec);
  delete fixture;
  fixture = nullptr;
}

}  // namespace
}  // namespace latchkey

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!latchkey::set_up()) {
    std::fprintf(stderr, "store_bench: set-up failed\n");
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  latchkey::tear_down();
  return 0;
}
