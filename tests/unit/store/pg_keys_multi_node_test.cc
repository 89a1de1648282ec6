// The keys area's rules across nodes: several PgStore instances on one
// database stand for several latchkeyd nodes, each with its own pool, and
// threads on all of them race. What SQLite gets from its single writer,
// PostgreSQL must get from row locks, SKIP LOCKED and unique indexes:
// one token per (key, session), one reroll per key, disjoint outbox claims,
// one event per dedup key, usage counts that add up exactly, and last-use
// batches that neither deadlock nor move a key's last use backwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/event_outbox_store.h"
#include "store/key_store.h"
#include "store/postgres/pg_store.h"
#include "store/session_store.h"
#include "store/usage_store.h"
#include "support/postgres_server.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kNodes = 4;
const Instant kNow = from_unix_millis(1'795'000'000'000 / 3'600'000 * 3'600'000);

std::vector<std::unique_ptr<pg::PgStore>> open_nodes(const std::string& tag) {
  const std::string url = fresh_schema_url(tag);
  std::vector<std::unique_ptr<pg::PgStore>> nodes;
  if (url.empty()) return nodes;
  for (int i = 0; i < kNodes; ++i) {
    auto store = pg::PgStore::open(pg::PgStoreOptions{url, 8});
    if (!store) {
      ADD_FAILURE() << store.error().description;
      return {};
    }
    nodes.push_back(std::move(*store));
  }
  return nodes;
}

// Runs body(thread, node) on `threads` threads spread over the nodes, all
// released at once.
template <class Body>
void race(std::vector<std::unique_ptr<pg::PgStore>>& nodes, int threads, Body body) {
  std::latch start(threads);
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t, *nodes[static_cast<std::size_t>(t) % nodes.size()]);
    });
  }
  for (auto& thread : running) thread.join();
}

void make_owner(Store& store) {
  NewUser user;
  user.id = "usr_owner";
  user.name = "owner";
  user.api_access = true;
  user.created_at = kNow;
  ASSERT_TRUE(store.create_user(user));
}

ApiKey key_of(std::string id, std::uint8_t seed) {
  ApiKey key;
  key.id = std::move(id);
  key.user_id = "usr_owner";
  key.name = "racer";
  for (std::size_t i = 0; i < key.digest.size(); ++i) {
    key.digest[i] = static_cast<std::uint8_t>(seed * 7 + i);
  }
  key.masked = "••••race";
  key.created_at = kNow;
  key.expires_at = kNow + hours(24);
  return key;
}

// Test that logins racing on every node for one (key, session) all get
// the same token (seed 003), for many sessions in a row, and that the
// token stored is the one they got.
TEST(PgKeysMultiNode, LoginsOnEveryNodeAgreeOnOneTokenPerSession) {
  auto nodes = open_nodes("keys_login");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  constexpr int kSessions = 10;
  constexpr int kThreads = 16;
  for (int s = 0; s < kSessions; ++s) {
    const std::string session_id = "s" + std::to_string(s);
    std::vector<std::string> got(kThreads);
    std::atomic<int> created{0};
    race(nodes, kThreads, [&](int t, pg::PgStore& node) {
      LoginSession candidate;
      candidate.key_id = "key_shared";
      candidate.session_id = session_id;
      candidate.user_id = "usr_owner";
      candidate.created_at = kNow;
      candidate.token = "tok-" + session_id + "-" + std::to_string(t);
      candidate.token_issued_at = kNow;
      candidate.token_expires_at = kNow + hours(2);
      auto outcome = node.sessions().login_session(candidate, kNow);
      if (!outcome) {
        ADD_FAILURE() << outcome.error().description;
        return;
      }
      if (!outcome->reused) ++created;
      got[t] = outcome->session.token;
    });
    EXPECT_EQ(created.load(), 1) << session_id;
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], got[0]) << session_id;
    auto stored = nodes[1]->sessions().find_session("key_shared", session_id);
    ASSERT_TRUE(stored && stored->has_value());
    EXPECT_EQ((*stored)->token, got[0]);
  }
}

// Test that a revocation on one node and logins on the others never lose
// the revocation: once revoke_session returned, every later login on any
// node is refused while the token could be valid.
TEST(PgKeysMultiNode, RevocationRacingLoginsIsNeverOverwritten) {
  auto nodes = open_nodes("keys_revoke");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  LoginSession candidate;
  candidate.key_id = "key_a";
  candidate.session_id = "s";
  candidate.user_id = "usr_owner";
  candidate.created_at = kNow;
  candidate.token = "tok-first";
  candidate.token_issued_at = kNow;
  candidate.token_expires_at = kNow + hours(2);
  ASSERT_TRUE(nodes[0]->sessions().login_session(candidate, kNow));
  std::atomic<bool> revoked{false};
  std::atomic<int> accepted_after{0};
  race(nodes, 8, [&](int t, pg::PgStore& node) {
    if (t == 0) {
      ASSERT_TRUE(node.sessions().revoke_session("key_a", "s", kNow + seconds(1)));
      revoked = true;
      return;
    }
    for (int i = 0; i < 20; ++i) {
      const bool after = revoked.load();
      LoginSession next = candidate;
      next.token = "tok-" + std::to_string(t) + "-" + std::to_string(i);
      auto outcome = node.sessions().login_session(next, kNow + seconds(2));
      if (outcome) {
        if (after) ++accepted_after;
      } else {
        EXPECT_EQ(outcome.error().reason, "session_revoked");
      }
    }
  });
  EXPECT_EQ(accepted_after.load(), 0);
  auto stored = nodes[2]->sessions().find_session("key_a", "s");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->token, "tok-first");
  EXPECT_TRUE((*stored)->revoked_at.has_value());
}

// Test that rerolls of one key racing on every node leave exactly one new
// key, and that the others are refused as already rerolled.
TEST(PgKeysMultiNode, RerollsOnEveryNodeLeaveOneNewKey) {
  auto nodes = open_nodes("keys_reroll");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  make_owner(*nodes[0]);
  ASSERT_TRUE(nodes[0]->keys().insert_key(key_of("key_old", 1)));
  constexpr int kThreads = 12;
  std::atomic<int> won{0}, already{0};
  race(nodes, kThreads, [&](int t, pg::PgStore& node) {
    auto r = node.keys().reroll_key(
        "key_old", key_of("key_new" + std::to_string(t), static_cast<std::uint8_t>(10 + t)),
        kNow + minutes(10), kNow);
    if (r) {
      ++won;
    } else if (r.error().reason == "already_rerolled") {
      ++already;
    } else {
      ADD_FAILURE() << r.error().description;
    }
  });
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(already.load(), kThreads - 1);
  auto keys = nodes[3]->keys().list_keys_of_user("usr_owner");
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 2u);
}

// Test that a deactivation racing a reroll on another node is atomic with
// it: either the reroll is refused as inactive, or the new key exists and
// the old key was deactivated after it, never a new key made from a key
// already deactivated.
TEST(PgKeysMultiNode, DeactivationRacingARerollIsSeenByIt) {
  auto nodes = open_nodes("keys_deactivate");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  make_owner(*nodes[0]);
  constexpr int kRounds = 20;
  for (int i = 0; i < kRounds; ++i) {
    const std::string old_id = "key_o" + std::to_string(i);
    ASSERT_TRUE(nodes[0]->keys().insert_key(key_of(old_id, static_cast<std::uint8_t>(2 * i))));
    std::atomic<bool> rerolled{false};
    std::optional<ApiKey> deactivated;
    race(nodes, 2, [&](int t, pg::PgStore& node) {
      if (t == 0) {
        auto r = node.keys().reroll_key(
            old_id, key_of("key_n" + std::to_string(i), static_cast<std::uint8_t>(2 * i + 1)),
            kNow + minutes(10), kNow);
        if (r) {
          rerolled = true;
        } else {
          EXPECT_EQ(r.error().reason, "inactive") << r.error().description;
        }
      } else {
        auto d = node.keys().deactivate_key(old_id, kNow, "usr_owner");
        ASSERT_TRUE(d && d->has_value());
        deactivated = **d;
      }
    });
    ASSERT_TRUE(deactivated);
    auto new_key = nodes[2]->keys().find_key("key_n" + std::to_string(i));
    ASSERT_TRUE(new_key);
    EXPECT_EQ(new_key->has_value(), rerolled.load());
    // The deactivation committed after the reroll saw the reroll's mark.
    if (rerolled) {
      EXPECT_EQ(deactivated->replaced_by, "key_n" + std::to_string(i));
    }
  }
}

// Test that deliverers on every node claiming at once never get one event
// twice, and that together they get every event.
TEST(PgKeysMultiNode, OutboxClaimsOnEveryNodeAreDisjoint) {
  auto nodes = open_nodes("keys_outbox");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(*nodes[0]->outbox().enqueue(NewOutboxEvent{
        "evt_" + std::to_string(i), "key.created", kNow, "{}", "", kNow + Duration(i % 7)}));
  }
  constexpr int kThreads = 8;
  std::vector<std::vector<std::string>> got(kThreads);
  race(nodes, kThreads, [&](int t, pg::PgStore& node) {
    for (;;) {
      auto claimed = node.outbox().claim_due(kNow + seconds(1), 3, hours(1));
      ASSERT_TRUE(claimed) << claimed.error().description;
      if (claimed->empty()) return;
      for (const OutboxEvent& event : *claimed) got[t].push_back(event.id);
    }
  });
  std::set<std::string> all;
  std::size_t total = 0;
  for (const auto& ids : got) {
    total += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kEvents));
}

// Test that one dedup key enqueued on every node at once is stored once.
TEST(PgKeysMultiNode, OutboxDedupKeyHoldsAcrossNodes) {
  auto nodes = open_nodes("keys_dedup");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  constexpr int kKeys = 10;
  constexpr int kThreads = 8;
  for (int k = 0; k < kKeys; ++k) {
    std::atomic<int> stored{0};
    race(nodes, kThreads, [&](int t, pg::PgStore& node) {
      auto r = node.outbox().enqueue(
          NewOutboxEvent{"evt_" + std::to_string(k) + "_" + std::to_string(t), "key.expiring", kNow,
                         "{}", "dedup:" + std::to_string(k), kNow});
      ASSERT_TRUE(r) << r.error().description;
      if (*r) ++stored;
    });
    EXPECT_EQ(stored.load(), 1) << k;
  }
  EXPECT_EQ(nodes[1]->outbox().counts()->pending, kKeys);
}

// Test that usage flushes from every node into the same buckets, each in
// its own row order, add up exactly, and none fails (no deadlock).
TEST(PgKeysMultiNode, UsageFlushesOnEveryNodeAddUpExactly) {
  auto nodes = open_nodes("keys_usage");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  std::vector<UsageRow> rows;
  for (const char* key : {"key_a", "key_b", "key_c"}) {
    for (const char* route : {"GET /x", "POST /y"}) {
      for (const char* cls : {"2xx", "4xx"}) {
        rows.push_back(UsageRow{key, UsageGranularity::kHour, kNow, route, cls, 1});
      }
    }
  }
  constexpr int kThreads = 8;
  constexpr int kFlushes = 25;
  race(nodes, kThreads, [&](int t, pg::PgStore& node) {
    std::mt19937 shuffle(static_cast<unsigned>(t));
    std::vector<UsageRow> mine = rows;
    for (int f = 0; f < kFlushes; ++f) {
      std::shuffle(mine.begin(), mine.end(), shuffle);
      auto added = node.usage().add_usage(mine);
      ASSERT_TRUE(added) << added.error().description;
    }
  });
  for (const char* key : {"key_a", "key_b", "key_c"}) {
    auto stored =
        nodes[0]->usage().usage_of_key(key, UsageGranularity::kHour, kNow, kNow + hours(1));
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 4u);
    for (const UsageRow& row : *stored) EXPECT_EQ(row.count, kThreads * kFlushes) << key;
  }
}

// Test that last-use batches naming the same keys in different orders on
// every node neither fail nor move a key's last use backwards.
TEST(PgKeysMultiNode, KeyUsageBatchesOnEveryNodeKeepTheLatest) {
  auto nodes = open_nodes("keys_last_used");
  ASSERT_EQ(nodes.size(), static_cast<std::size_t>(kNodes));
  make_owner(*nodes[0]);
  constexpr int kKeys = 6;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(nodes[0]->keys().insert_key(
        key_of("key_" + std::to_string(k), static_cast<std::uint8_t>(k))));
  }
  constexpr int kThreads = 8;
  constexpr int kBatches = 25;
  race(nodes, kThreads, [&](int t, pg::PgStore& node) {
    std::mt19937 shuffle(static_cast<unsigned>(t));
    for (int b = 0; b < kBatches; ++b) {
      std::vector<KeyUsage> batch;
      for (int k = 0; k < kKeys; ++k) {
        batch.push_back(KeyUsage{"key_" + std::to_string(k), kNow + seconds(t * kBatches + b)});
      }
      std::shuffle(batch.begin(), batch.end(), shuffle);
      auto recorded = node.keys().record_key_usage(batch);
      ASSERT_TRUE(recorded) << recorded.error().description;
    }
  });
  const Instant latest = kNow + seconds((kThreads - 1) * kBatches + kBatches - 1);
  for (int k = 0; k < kKeys; ++k) {
    auto key = nodes[1]->keys().find_key("key_" + std::to_string(k));
    ASSERT_TRUE(key && key->has_value());
    EXPECT_EQ((*key)->last_used_at, latest) << k;
  }
}

}  // namespace
}  // namespace latchkey::testing
