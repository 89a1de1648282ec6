// IssuanceBatcher (pg_issuance_batcher.h): concurrent issuances of one node
// share statements, each still gets its own outcome, and a batch holding
// one bad issuance fails only that one.
//
// To make a batch of known members, the first issuance is held at the
// server by a row lock another connection keeps (with one batch in flight
// at a time, everything issued meanwhile queues), and the lock is let go
// once the batcher reports them queued.
#include "store/postgres/pg_issuance_batcher.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "core/secret.h"
#include "store/postgres/pg_store.h"
#include "support/postgres_server.h"
#include "unit/store/named_user.h"

namespace latchkey::testing {
namespace {

const Instant kAt = from_unix_millis(1'700'000'000'000);

AccountToken token_for(const std::string& user, std::uint8_t tag) {
  AccountToken t;
  t.digest.fill(tag);
  t.user_id = "usr_" + user;
  t.client_id = "cli_" + user;
  t.issued_at = kAt + std::chrono::milliseconds(tag);
  t.expires_at = t.issued_at + std::chrono::hours(1);
  t.issuer_ip = "10.0.0.1";
  t.issuer_user_agent = "batcher-test";
  return t;
}

// A connection that holds a user's row lock until release().
class RowLock {
 public:
  RowLock(const std::string& url, const std::string& user_id) : conn_(PQconnectdb(url.c_str())) {
    run("BEGIN");
    run("SELECT 1 FROM users WHERE id = '" + user_id + "' FOR UPDATE");
  }
  ~RowLock() {
    release();
    PQfinish(conn_);
  }
  void release() {
    if (!released_) run("COMMIT");
    released_ = true;
  }

 private:
  void run(const std::string& sql) { PQclear(PQexec(conn_, sql.c_str())); }
  PGconn* conn_;
  bool released_ = false;
};

// Waits (bounded) until a batch is at the server and `n` issuances are
// queued behind it.
bool wait_queued(const pg::IssuanceBatcher& batcher, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (batcher.in_flight() < 1 || batcher.queued() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

struct Fixture {
  std::string url;
  std::unique_ptr<pg::PgStore> store;
  std::unique_ptr<pg::Database> db;

  explicit Fixture(const char* tag) : url(fresh_schema_url(tag)) {
    auto opened = pg::PgStore::open(pg::PgStoreOptions{url, 4});
    if (opened) store = std::move(*opened);
    auto database = pg::Database::open(pg::PoolOptions{url, 4, std::chrono::seconds(5)});
    if (database) db = std::move(*database);
  }
  bool ok() const { return store && db; }
};

TEST(PgIssuanceBatcher, QueuedIssuancesGoTogetherAndEachGetsItsOutcome) {
  Fixture f("batch_outcomes");
  ASSERT_TRUE(f.ok());
  for (const char* name : {"held", "a", "b", "c", "off"}) {
    ASSERT_TRUE(f.store->create_user(named_user(name, kAt)));
  }
  ASSERT_TRUE(f.store->update_user("usr_off", UserUpdate{.disabled = true}, kAt));
  pg::IssuanceBatcher batcher(*f.db, 32, 1);

  RowLock lock(f.url, "usr_held");
  const AccountToken held = token_for("held", 1);
  std::thread first([&] { EXPECT_TRUE(batcher.issue(held, kAt, 0)); });
  // The lock holder's statement is at the server; these queue behind it.
  const std::vector<AccountToken> tokens = {token_for("c", 2), token_for("a", 3),
                                            token_for("off", 4), token_for("nobody", 5),
                                            token_for("b", 6)};
  std::vector<Result<pg::IssuanceOutcome>> outcomes(tokens.size(), fail(Error::internal("unset")));
  std::vector<std::thread> others;
  ASSERT_TRUE(wait_queued(batcher, 0));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    others.emplace_back([&, i] { outcomes[i] = batcher.issue(tokens[i], kAt, 5); });
  }
  ASSERT_TRUE(wait_queued(batcher, tokens.size()));
  lock.release();
  first.join();
  for (auto& t : others) t.join();

  ASSERT_TRUE(outcomes[0]) << outcomes[0].error().description;
  EXPECT_EQ(outcomes[0]->outcome, "issued");
  EXPECT_FALSE(outcomes[0]->several_addresses);  // one address: nothing counted
  EXPECT_EQ(outcomes[1]->outcome, "issued");
  EXPECT_EQ(outcomes[2]->outcome, "disabled");
  EXPECT_EQ(outcomes[3]->outcome, "no_user");
  EXPECT_EQ(outcomes[4]->outcome, "issued");
  for (const std::size_t i : {0u, 1u, 4u}) {
    auto found = f.store->find_account_token(tokens[i].digest);
    ASSERT_TRUE(found);
    ASSERT_TRUE(found->live) << i;
    EXPECT_EQ(found->live->user_id, tokens[i].user_id);
  }
  const pg::IssuanceBatchStats stats = batcher.stats();
  EXPECT_EQ(stats.issuances, 6u);
  EXPECT_EQ(stats.batches, 2u);  // the held one, then the five together
  EXPECT_EQ(stats.largest_batch, 5u);
  EXPECT_EQ(stats.split_batches, 0u);
}

TEST(PgIssuanceBatcher, OneUsersIssuancesInABatchLeaveOneLiveToken) {
  Fixture f("batch_one_user");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.store->create_user(named_user("held", kAt)));
  ASSERT_TRUE(f.store->create_user(named_user("same", kAt)));
  pg::IssuanceBatcher batcher(*f.db, 32, 1);

  RowLock lock(f.url, "usr_held");
  std::thread first([&] { EXPECT_TRUE(batcher.issue(token_for("held", 1), kAt, 0)); });
  ASSERT_TRUE(wait_queued(batcher, 0));
  std::vector<AccountToken> tokens;
  for (std::uint8_t tag = 10; tag < 18; ++tag) tokens.push_back(token_for("same", tag));
  std::atomic<int> issued{0};
  std::vector<std::thread> others;
  for (const AccountToken& t : tokens) {
    others.emplace_back([&, t] {
      if (auto r = batcher.issue(t, kAt, 0); r && r->outcome == "issued") ++issued;
    });
  }
  ASSERT_TRUE(wait_queued(batcher, tokens.size()));
  lock.release();
  first.join();
  for (auto& t : others) t.join();

  EXPECT_EQ(issued.load(), 8);
  EXPECT_EQ(batcher.stats().largest_batch, 8u);
  int live = 0;
  int superseded = 0;
  for (const AccountToken& t : tokens) {
    auto found = f.store->find_account_token(t.digest);
    ASSERT_TRUE(found);
    if (found->live) ++live;
    if (found->ended && found->ended->reason == TokenEndReason::kSuperseded) ++superseded;
  }
  EXPECT_EQ(live, 1);  // DESIGN invariant 1, inside one statement too
  EXPECT_EQ(superseded, 7);
}

TEST(PgIssuanceBatcher, ABadIssuanceFailsAloneAndTheRestOfItsBatchCommits) {
  Fixture f("batch_split");
  ASSERT_TRUE(f.ok());
  for (const char* name : {"held", "owner", "x", "y"}) {
    ASSERT_TRUE(f.store->create_user(named_user(name, kAt)));
  }
  // "owner" holds digest 0x42: issuing the same digest to "x" cannot commit.
  ASSERT_TRUE(f.store->issue_account_token(token_for("owner", 0x42)));
  pg::IssuanceBatcher batcher(*f.db, 32, 1);

  RowLock lock(f.url, "usr_held");
  std::thread first([&] { EXPECT_TRUE(batcher.issue(token_for("held", 1), kAt, 0)); });
  ASSERT_TRUE(wait_queued(batcher, 0));
  const AccountToken clash = token_for("x", 0x42);
  const AccountToken fine = token_for("y", 7);
  Result<pg::IssuanceOutcome> clash_result = fail(Error::internal("unset"));
  Result<pg::IssuanceOutcome> fine_result = fail(Error::internal("unset"));
  std::thread a([&] { clash_result = batcher.issue(clash, kAt, 0); });
  std::thread b([&] { fine_result = batcher.issue(fine, kAt, 0); });
  ASSERT_TRUE(wait_queued(batcher, 2));
  lock.release();
  first.join();
  a.join();
  b.join();

  ASSERT_FALSE(clash_result);
  EXPECT_EQ(clash_result.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(fine_result) << fine_result.error().description;
  EXPECT_EQ(fine_result->outcome, "issued");
  EXPECT_EQ(batcher.stats().split_batches, 1u);
  auto owner = f.store->find_account_token(token_for("owner", 0x42).digest);
  ASSERT_TRUE(owner);
  ASSERT_TRUE(owner->live);
  EXPECT_EQ(owner->live->user_id, "usr_owner");  // untouched
}

// A batch, like one issuance, may run again after the connection broke
// during its commit. An issuance already done is not done again, even when
// a later issuance (here: the next one; on another node alike) has
// superseded its token since: the retry does not bring the old token back.
TEST(PgIssuanceBatcher, RunningAnIssuanceAgainChangesNothing) {
  Fixture f("batch_retry");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.store->create_user(named_user("r", kAt)));
  pg::IssuanceBatcher batcher(*f.db, 32, 1);
  const AccountToken first = token_for("r", 1);
  const AccountToken second = token_for("r", 2);
  ASSERT_TRUE(batcher.issue(first, kAt, 0));
  ASSERT_TRUE(batcher.issue(second, kAt, 0));
  auto again = batcher.issue(first, kAt, 0);  // the retry of the first
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, "issued");
  auto live = f.store->find_account_token(second.digest);
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->live);  // still the one live token
  auto ended = f.store->find_account_token(first.digest);
  ASSERT_TRUE(ended);
  EXPECT_FALSE(ended->live);
  ASSERT_TRUE(ended->ended);
  EXPECT_EQ(ended->ended->reason, TokenEndReason::kSuperseded);
}

// One user's row held past lock_timeout (2 s; an admin's long transaction)
// costs that user's issuance only: the batch runs again one at a time.
TEST(PgIssuanceBatcher, AUserLockedPastTheTimeoutFailsAloneNotItsBatch) {
  Fixture f("batch_lock_timeout");
  ASSERT_TRUE(f.ok());
  for (const char* name : {"held", "stuck", "free"}) {
    ASSERT_TRUE(f.store->create_user(named_user(name, kAt)));
  }
  pg::IssuanceBatcher batcher(*f.db, 32, 1);
  RowLock queue_behind(f.url, "usr_held");
  RowLock long_transaction(f.url, "usr_stuck");
  std::thread first([&] { (void)batcher.issue(token_for("held", 1), kAt, 0); });
  ASSERT_TRUE(wait_queued(batcher, 0));
  Result<pg::IssuanceOutcome> stuck = fail(Error::internal("unset"));
  Result<pg::IssuanceOutcome> free = fail(Error::internal("unset"));
  std::thread a([&] { stuck = batcher.issue(token_for("stuck", 2), kAt, 0); });
  std::thread b([&] { free = batcher.issue(token_for("free", 3), kAt, 0); });
  ASSERT_TRUE(wait_queued(batcher, 2));
  queue_behind.release();
  first.join();
  a.join();
  b.join();
  ASSERT_TRUE(free) << free.error().description;
  EXPECT_EQ(free->outcome, "issued");
  ASSERT_FALSE(stuck);
  EXPECT_EQ(stuck.error().code, ErrorCode::kUnavailable);  // 503, as for one issuance
  EXPECT_EQ(batcher.stats().split_batches, 1u);
}

// The statement answers "another address in the window" and, only then, the
// count up to threshold + 1: enough for the store to know when the exact
// rule must run (origin_conformance.cc checks the alarm itself).
TEST(PgIssuanceBatcher, ReportsAnotherAddressAndCountsUpToTheThreshold) {
  Fixture f("batch_addresses");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.store->create_user(named_user("w", kAt)));
  pg::IssuanceBatcher batcher(*f.db, 32, 1);
  constexpr int kThreshold = 3;
  const Instant since = kAt - std::chrono::hours(1);
  for (std::uint8_t tag = 1; tag <= 6; ++tag) {
    auto r = batcher.issue(token_for("w", tag), since, kThreshold);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->several_addresses) << int(tag);  // all from 10.0.0.1
  }
  AccountToken other = token_for("w", 7);
  other.issuer_ip = "10.0.0.2";
  auto r = batcher.issue(other, since, kThreshold);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->several_addresses);
  EXPECT_EQ(r->window_issuances, kThreshold + 1);  // 7 in the window, counted up to 4
  // Outside the window, the other address no longer counts.
  AccountToken later = token_for("w", 8);
  auto r2 = batcher.issue(later, kAt + std::chrono::milliseconds(7), kThreshold);
  ASSERT_TRUE(r2);
  EXPECT_FALSE(r2->several_addresses);
  // Not watched: nothing looked at.
  AccountToken unwatched = token_for("w", 9);
  unwatched.issuer_ip = "10.0.0.3";
  auto r3 = batcher.issue(unwatched, since, 0);
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->several_addresses);
  EXPECT_EQ(r3->window_issuances, 0);
}

TEST(PgIssuanceBatcher, ManyThreadsShareStatements) {
  Fixture f("batch_many");
  ASSERT_TRUE(f.ok());
  constexpr int kThreads = 24;
  constexpr int kEach = 20;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(f.store->create_user(named_user("m" + std::to_string(t), kAt)));
  }
  pg::IssuanceBatcher batcher(*f.db, 32, 2);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        AccountToken token = token_for("m" + std::to_string(t), 0);
        token.digest[0] = static_cast<std::uint8_t>(t);
        token.digest[1] = static_cast<std::uint8_t>(i);
        token.digest[2] = 0xAB;
        auto r = batcher.issue(token, kAt, 0);
        if (!r || r->outcome != "issued") ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const pg::IssuanceBatchStats stats = batcher.stats();
  EXPECT_EQ(stats.issuances, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_LE(stats.batches, stats.issuances);
  // Every user holds exactly its last token.
  for (int t = 0; t < kThreads; ++t) {
    AccountToken last = token_for("m" + std::to_string(t), 0);
    last.digest[0] = static_cast<std::uint8_t>(t);
    last.digest[1] = static_cast<std::uint8_t>(kEach - 1);
    last.digest[2] = 0xAB;
    auto found = f.store->find_account_token(last.digest);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->live) << t;
  }
}

}  // namespace
}  // namespace latchkey::testing
