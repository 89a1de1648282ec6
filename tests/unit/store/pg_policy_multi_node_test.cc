// The policy area on PostgreSQL across nodes: several PgStore instances on
// one database stand for several latchkeyd nodes, their threads racing.
// What SQLite gets from its single writer must hold here because the
// database enforces it (pg_policy_store.cc, pg_audit_store.cc,
// pg_console_store.cc; docs/postgresql.md):
//   - audit batches appended by every node at once keep their order and
//     unique ids, and a newest-first walk never skips or repeats an event
//     committed before it began;
//   - a console token minted while another node signs the session out is
//     either refused or seen by the sign-out;
//   - an invitation is accepted once; a name is taken once; one origin step;
//   - delete_role lists every member whose addition succeeded.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/policy_store.h"
#include "store/postgres/pg_store.h"
#include "support/postgres_server.h"
#include "unit/store/named_user.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr int kNodes = 3;
const Instant kT0 = from_unix_millis(1'795'000'000'000);

std::vector<std::unique_ptr<pg::PgStore>> open_nodes(const std::string& url) {
  std::vector<std::unique_ptr<pg::PgStore>> nodes;
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

Digest digest_of(int n) {
  Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(n >> (i % 4 * 8));
  d[31] = 0xA5;
  return d;
}

class PgPolicyMultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = fresh_schema_url("policy_nodes");
    ASSERT_FALSE(url.empty());
    nodes_ = open_nodes(url);
    ASSERT_EQ(nodes_.size(), static_cast<std::size_t>(kNodes));
  }
  Store& node(int i) { return *nodes_[i % kNodes]; }

  std::vector<std::unique_ptr<pg::PgStore>> nodes_;
};

// Every event in the trail, walked newest first in pages of `limit`.
std::vector<AuditEvent> walk(AuditStore& audit, int limit) {
  std::vector<AuditEvent> all;
  AuditQuery query{.limit = limit};
  for (;;) {
    auto page = audit.query(query);
    if (!page) {
      ADD_FAILURE() << page.error().description;
      return all;
    }
    all.insert(all.end(), page->events.begin(), page->events.end());
    if (!page->next) return all;
    query.after = page->next;
  }
}

// Test that batches appended by every node at once all arrive, with unique
// ids increasing within each batch in its order and across one thread's
// batches, and that walks running meanwhile return every event committed
// before they began exactly once, in strict (at, id) descending order.
TEST_F(PgPolicyMultiNode, AuditBatchesFromSeveralNodesKeepOrderAndPageOnce) {
  constexpr int kWriters = 6;  // two per node
  constexpr int kBatches = 15;
  constexpr int kBatchSize = 12;
  // A few events before the race, so that the first walk has something.
  ASSERT_TRUE(node(0).audit().append(std::vector<AuditEvent>(
      5, AuditEvent{.at = kT0, .action = "seed", .decision = AuditDecision::kAllow})));

  std::atomic<int> writers_left{kWriters};
  std::latch start(kWriters + 1);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      for (int b = 0; b < kBatches; ++b) {
        std::vector<AuditEvent> batch;
        for (int e = 0; e < kBatchSize; ++e) {
          AuditEvent event;
          // Few distinct instants: many ties that only the id breaks.
          event.at = kT0 + milliseconds((b + e) % 4);
          event.principal_id = "usr_w" + std::to_string(w);
          event.action = std::to_string(w) + "/" + std::to_string(b) + "/" + std::to_string(e);
          batch.push_back(std::move(event));
        }
        auto appended = node(w).audit().append(batch);
        EXPECT_TRUE(appended) << appended.error().description;
      }
      writers_left.fetch_sub(1);
    });
  }
  // Walks while the writers run: each must contain everything committed
  // before it began, once, in order.
  start.arrive_and_wait();
  int walks = 0;
  while (writers_left.load() > 0 || walks == 0) {
    auto before = walk(node(walks + 1).audit(), kMaxAuditPageSize);
    std::set<std::int64_t> committed;
    for (const AuditEvent& e : before) committed.insert(e.id);
    auto walked = walk(node(walks + 2).audit(), 7);
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < walked.size(); ++i) {
      EXPECT_TRUE(seen.insert(walked[i].id).second) << "event " << walked[i].id << " twice";
      if (i > 0) {
        const auto& prev = walked[i - 1];
        EXPECT_TRUE(prev.at > walked[i].at || (prev.at == walked[i].at && prev.id > walked[i].id))
            << "out of order at " << i;
      }
    }
    for (std::int64_t id : committed) EXPECT_TRUE(seen.contains(id)) << "walk skipped " << id;
    ++walks;
  }
  for (auto& t : threads) t.join();

  auto all = walk(node(0).audit(), 1000);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(5 + kWriters * kBatches * kBatchSize));
  std::set<std::int64_t> ids;
  std::map<std::string, std::int64_t> id_of;  // "w/b/e" -> id
  for (const AuditEvent& e : all) {
    EXPECT_TRUE(ids.insert(e.id).second);
    id_of[e.action] = e.id;
  }
  for (int w = 0; w < kWriters; ++w) {
    std::int64_t last = 0;
    for (int b = 0; b < kBatches; ++b) {
      for (int e = 0; e < kBatchSize; ++e) {
        const std::string key =
            std::to_string(w) + "/" + std::to_string(b) + "/" + std::to_string(e);
        ASSERT_TRUE(id_of.contains(key)) << key;
        EXPECT_GT(id_of[key], last) << key << ": ids must follow the batch and the writer's order";
        last = id_of[key];
      }
    }
  }
  EXPECT_GE(walks, 1);
}

// Test that a token minted for a session while another node signs the
// session out is never left behind: either the minting is refused
// (session_ended) or the sign-out's list of the session's tokens, read after
// the end committed, holds it.
TEST_F(PgPolicyMultiNode, ConsoleTokenMintingRacingSignOutIsNeverLost) {
  ASSERT_TRUE(node(0).create_user(named_user("alice", kT0)));
  constexpr int kRounds = 40;
  int minted = 0, refused = 0;
  for (int r = 0; r < kRounds; ++r) {
    const std::string session_id = "ses_" + std::to_string(r);
    ConsoleSession session;
    session.id = session_id;
    session.secret_digest = digest_of(2 * r);
    session.csrf_digest = digest_of(2 * r + 1);
    session.user_id = "usr_alice";
    session.created_at = session.last_seen_at = kT0;
    session.expires_at = kT0 + hours(12);
    ASSERT_TRUE(node(r).console().create_console_session(session));

    std::latch start(2);
    Status mint;
    std::vector<ConsoleSessionToken> revoked;
    std::thread minter([&] {
      start.arrive_and_wait();
      mint = node(r + 1).console().add_console_session_token(
          {"jti_" + std::to_string(r), session_id, "usr_alice", kT0 + hours(1)});
    });
    std::thread signer([&] {
      start.arrive_and_wait();
      auto ended = node(r + 2).console().end_console_session(session_id, kT0, "signed_out");
      ASSERT_TRUE(ended && *ended);
      auto tokens = node(r + 2).console().console_session_tokens(session_id, kT0);
      ASSERT_TRUE(tokens);
      revoked = *tokens;
    });
    minter.join();
    signer.join();
    if (mint) {
      ++minted;
      ASSERT_EQ(revoked.size(), 1u) << "round " << r << ": a minted token escaped the sign-out";
      EXPECT_EQ(revoked[0].token_id, "jti_" + std::to_string(r));
    } else {
      ++refused;
      EXPECT_EQ(mint.error().reason, "session_ended") << mint.error().description;
      EXPECT_TRUE(revoked.empty());
    }
  }
  EXPECT_EQ(minted + refused, kRounds);
}

// Test that of many nodes accepting one invitation at once exactly one
// succeeds, and that its password and the end of the sessions hold.
TEST_F(PgPolicyMultiNode, InvitationIsAcceptedOnceAcrossNodes) {
  ASSERT_TRUE(node(0).create_user(named_user("bob", kT0)));
  ConsoleSession session;
  session.id = "ses_bob";
  session.secret_digest = digest_of(1);
  session.csrf_digest = digest_of(2);
  session.user_id = "usr_bob";
  session.created_at = session.last_seen_at = kT0;
  session.expires_at = kT0 + hours(12);
  ASSERT_TRUE(node(0).console().create_console_session(session));
  const Digest token = digest_of(99);
  ASSERT_TRUE(
      node(1).console().put_console_invitation({token, "usr_bob", kT0, kT0 + hours(24), {}}));

  constexpr int kThreads = 12;
  std::latch start(kThreads);
  std::atomic<int> accepted{0};
  std::mutex mutex;
  std::string winner;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string hash = "$argon2id$" + std::to_string(i);
      start.arrive_and_wait();
      auto result = node(i).console().accept_console_invitation(token, hash, kT0 + hours(1));
      if (result) {
        accepted.fetch_add(1);
        std::lock_guard lock(mutex);
        winner = hash;
      } else {
        EXPECT_EQ(result.error().reason, "invitation_invalid") << result.error().description;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  auto hash = node(2).console().console_password_hash("usr_bob");
  ASSERT_TRUE(hash && hash->has_value());
  EXPECT_EQ(**hash, winner);
  auto open = node(2).console().open_console_sessions_of_user("usr_bob");
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
}

// Test that names and the one origin step are taken once when every node
// tries at the same time.
TEST_F(PgPolicyMultiNode, NamesAndOriginStepAreTakenOnce) {
  constexpr int kThreads = 9;
  policy::Application app{"app_base", "Base", {{"stp_base", "app_base", "Start", true, kT0}}, kT0};
  ASSERT_TRUE(node(0).policy().create_application(app));
  std::latch start(kThreads);
  std::atomic<int> roles{0}, origins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string n = std::to_string(i);
      start.arrive_and_wait();
      auto role = node(i).policy().create_role({"rol_" + n, "Same name", {"RECORDS"}, {}, kT0});
      if (role)
        roles.fetch_add(1);
      else if (role.error().code == ErrorCode::kConflict)
        conflicts.fetch_add(1);
      auto step = node(i).policy().add_step({"stp_" + n, "app_base", "Origin " + n, true, kT0});
      if (step)
        origins.fetch_add(1);
      else if (step.error().code == ErrorCode::kConflict)
        conflicts.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(roles.load(), 1);
  EXPECT_EQ(origins.load(), 0) << "the application already had its origin step";
  EXPECT_EQ(conflicts.load(), 2 * kThreads - 1);
  auto listed = node(1).policy().list_roles();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

// Test that delete_role, racing memberships being added on other nodes,
// returns every member whose addition succeeded (so that each one's caches
// are invalidated), and that additions after it fail with kNotFound.
TEST_F(PgPolicyMultiNode, DeleteRoleListsEveryMemberAddedConcurrently) {
  constexpr int kUsers = 30;
  for (int u = 0; u < kUsers; ++u) {
    ASSERT_TRUE(node(0).create_user(named_user("m" + std::to_string(u), kT0)));
  }
  ASSERT_TRUE(node(0).policy().create_role({"rol_doomed", "Doomed", {"RECORDS"}, {}, kT0}));
  std::latch start(kUsers + 1);
  std::mutex mutex;
  std::set<std::string> added;
  std::vector<std::thread> threads;
  for (int u = 0; u < kUsers; ++u) {
    threads.emplace_back([&, u] {
      const std::string user = "usr_m" + std::to_string(u);
      start.arrive_and_wait();
      auto result = node(u).policy().add_role_member("rol_doomed", user);
      if (result) {
        EXPECT_TRUE(*result);
        std::lock_guard lock(mutex);
        added.insert(user);
      } else {
        EXPECT_EQ(result.error().code, ErrorCode::kNotFound) << result.error().description;
      }
    });
  }
  start.arrive_and_wait();
  auto former = node(kNodes - 1).policy().delete_role("rol_doomed");
  for (auto& t : threads) t.join();
  ASSERT_TRUE(former) << former.error().description;
  EXPECT_EQ(std::set<std::string>(former->begin(), former->end()), added);
  auto gone = node(0).policy().get_role("rol_doomed");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

}  // namespace
}  // namespace latchkey::testing
