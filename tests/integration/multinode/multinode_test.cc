// Three nodes, one store, one Redis: what must hold across nodes (issue 12
// "Tests that must exist and pass"): a second node does not bootstrap again;
// 64 concurrent issuers leave one valid token; a revoke on node A is refused
// by B and C within the measured delay; 60/min is exact across the nodes and
// across a node's restart mid-window.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "integration/multinode/three_nodes.h"

namespace latchkey::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Test that only node 0 bootstraps: nodes 1 and 2 start on the bootstrapped
// store without writing credentials, and the admin's credential works on
// every node (issued on one, verified on the others; the next issuance on
// another node supersedes it everywhere).
TEST_F(ThreeNodes, OneBootstrapAndTheAdminWorksOnEveryNode) {
  EXPECT_TRUE(std::filesystem::exists(node(0).bootstrap_path()));
  for (int i = 1; i < kNodes; ++i) {
    EXPECT_FALSE(std::filesystem::exists(node(i).bootstrap_path())) << i;
    EXPECT_EQ(node(i).output().find(node(0).admin().client_secret), std::string::npos);
  }
  const AdminCredentials& a = node(0).admin();
  const UserCredentials admin{a.user_id, a.client_id, a.client_secret};
  HttpResult first = issue(1, admin);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string token = json_of(first).value("access_token", "");
  for (int i = 0; i < kNodes; ++i) {
    HttpResult r = me(i, token);
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(json_of(r).value("user_id", json_of(r).value("id", "")), a.user_id) << r.body;
  }
  // One admin only: the store holds the one user the first node created.
  HttpResult users = send(2, "GET", "/api/v1/users", {bearer_header(token)});
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_NE(users.body.find(a.user_id), std::string::npos);

  HttpResult second = issue(2, admin);
  ASSERT_EQ(second.status, 200) << second.body;
  const std::string newer = json_of(second).value("access_token", "");
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(me(i, newer).status, 200) << i;
    const auto delay = time_until(steady_clock::now(), milliseconds(1000),
                                  [&] { return me(i, token).status == 401; });
    EXPECT_TRUE(delay.has_value()) << "node " << i << " still accepts the superseded token";
  }
}

// Test one live account token per user across nodes: 64 concurrent
// issuances of one user's token, spread over the three nodes, leave exactly
// one token that any node accepts; every node agrees on which.
TEST_F(ThreeNodes, SixtyFourConcurrentIssuersLeaveOneValidToken) {
  const UserCredentials user = create_user_with_credentials(0, "contended");
  constexpr int kIssuers = 64;
  std::vector<HttpResult> results(kIssuers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kIssuers; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      results[static_cast<std::size_t>(t)] = issue(t % kNodes, user);
    });
  }
  go = true;
  for (auto& t : threads) t.join();

  std::vector<std::string> issued;
  for (const HttpResult& r : results) {
    // A conflict the store could not retry away is a clear 503, never a 500.
    ASSERT_TRUE(r.status == 200 || r.status == 503) << r.status << " " << r.body;
    if (r.status == 200) issued.push_back(json_of(r).value("access_token", ""));
  }
  ASSERT_GE(issued.size(), 1u);
  EXPECT_EQ(std::set<std::string>(issued.begin(), issued.end()).size(), issued.size());
  std::set<std::string> valid;
  for (const std::string& token : issued) {
    int accepted = 0;
    for (int i = 0; i < kNodes; ++i) {
      const long status = me(i, token).status;
      ASSERT_TRUE(status == 200 || status == 401) << status;
      if (status == 200) ++accepted;
    }
    // Every node agrees on each token: all accept it or none does.
    EXPECT_TRUE(accepted == 0 || accepted == kNodes) << accepted << " nodes accept one token";
    if (accepted > 0) valid.insert(token);
  }
  EXPECT_EQ(valid.size(), 1u) << issued.size() << " issued";
}

class ThreeNodesWithoutRateLimit : public ThreeNodes {
 protected:
  // The pollers below may send hundreds of requests with one key's JWTs.
  std::vector<std::string> extra_args() override { return {"--rate-limit-per-minute", "0"}; }
};

// Test that a revoke on node 0 is refused by nodes 1 and 2, whose caches
// were warm (each had accepted the credential just before), for an account
// token, an API key (deactivated: its JWTs are refused) and a seed-003 login
// session; the delay from the revoke's answer to the first refusal is
// measured per node and must stay under 1 s (docs/operations.md).
TEST_F(ThreeNodesWithoutRateLimit, RevocationOnOneNodeIsRefusedByTheOthers) {
  std::vector<std::chrono::microseconds> delays;
  auto expect_refused_elsewhere = [&](const std::string& what, const std::string& token,
                                      steady_clock::time_point revoked_at) {
    std::vector<std::thread> pollers;
    std::vector<std::optional<std::chrono::microseconds>> seen(kNodes);
    for (int i = 1; i < kNodes; ++i) {
      pollers.emplace_back([&, i] {
        seen[static_cast<std::size_t>(i)] = time_until(revoked_at, milliseconds(1000), [&] {
          const long status = me(i, token).status;
          EXPECT_TRUE(status == 200 || status == 401) << status;
          return status == 401;
        });
      });
    }
    for (auto& p : pollers) p.join();
    for (int i = 1; i < kNodes; ++i) {
      const auto& d = seen[static_cast<std::size_t>(i)];
      ASSERT_TRUE(d.has_value()) << what << ": node " << i << " accepts it 1 s after the revoke";
      delays.push_back(*d);
      // And it stays refused.
      EXPECT_EQ(me(i, token).status, 401) << what << " on node " << i;
    }
  };
  auto warm = [&](const std::string& token) {
    for (int i = 0; i < kNodes; ++i) ASSERT_EQ(me(i, token).status, 200) << i;
  };

  // Account tokens: the holder revokes its own token on node 0.
  const UserCredentials user = create_user_with_credentials(0, "revoked-tokens");
  for (int round = 0; round < 10; ++round) {
    HttpResult r = issue(round % kNodes, user);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string token = json_of(r).value("access_token", "");
    warm(token);
    HttpResult revoke = send(0, "DELETE", "/api/v1/account/token", {bearer_header(token)});
    const auto at = steady_clock::now();
    ASSERT_EQ(revoke.status, 204) << revoke.body;
    expect_refused_elsewhere("account token", token, at);
  }

  // API keys: the owner deactivates on node 0; a JWT of the key was in use.
  const UserCredentials owner = create_user_with_credentials(0, "key-owner");
  HttpResult owner_issued = issue(0, owner);
  ASSERT_EQ(owner_issued.status, 200) << owner_issued.body;
  const std::string owner_token = json_of(owner_issued).value("access_token", "");
  for (int round = 0; round < 5; ++round) {
    const ApiKey key = create_key(0, owner_token, "revoked-" + std::to_string(round));
    const std::string jwt = exchange(1 + round % 2, key);
    warm(jwt);
    HttpResult off = send(0, "POST", "/api/v1/keys/" + key.id + "/deactivate",
                          {bearer_header(owner_token), kJsonType}, "{}");
    const auto at = steady_clock::now();
    ASSERT_EQ(off.status / 100, 2) << off.body;
    expect_refused_elsewhere("API key", jwt, at);
    HttpResult again =
        send(2, "POST", "/v2/auth/token/access", {kJsonType}, Json{{"api_key", key.secret}}.dump());
    EXPECT_EQ(again.status, 401) << again.body;
  }

  // Seed-003 login sessions: revoked by the owner on node 0.
  const ApiKey session_key = create_key(0, owner_token, "sessions");
  for (int round = 0; round < 5; ++round) {
    const std::string session = "s" + std::to_string(round);
    HttpResult login = send(1 + round % 2, "POST", "/auth/login", {kJsonType},
                            Json{{"api_key", session_key.secret}, {"session_id", session}}.dump());
    ASSERT_EQ(login.status, 200) << login.body;
    const std::string jwt = json_of(login).value("access_token", "");
    warm(jwt);
    HttpResult revoke = send(0, "DELETE", "/api/v1/keys/" + session_key.id + "/sessions/" + session,
                             {bearer_header(owner_token)});
    const auto at = steady_clock::now();
    ASSERT_EQ(revoke.status / 100, 2) << revoke.body;
    expect_refused_elsewhere("login session", jwt, at);
  }
  // The measured bound (docs/operations.md, docs/performance.md).
  std::cout << "[ multinode ] revocation visible on the other nodes: " << percentiles(delays)
            << "\n";
}

// Test that a key's 60/min admits exactly 60 across the three nodes (the
// count is in Redis), also when a node is killed and restarted mid-window:
// 30 requests spread over the nodes, node 1 killed and restarted, then 45
// concurrent requests over the three nodes: exactly 30 admitted, the rest
// 429. One minute later (every node's clock advanced alike) each node admits
// again.
TEST_F(ThreeNodes, SixtyPerMinuteAcrossNodesAndARestart) {
  const UserCredentials owner = create_user_with_credentials(0, "limited");
  HttpResult owner_issued = issue(0, owner);
  ASSERT_EQ(owner_issued.status, 200);
  const ApiKey key = create_key(0, json_of(owner_issued).value("access_token", ""), "sixty");
  const std::string jwt = exchange(0, key);  // 1 of 60
  for (int i = 1; i < 30; ++i) {
    HttpResult r = me(i % kNodes, jwt);
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
  }
  node(1).kill_hard();
  node(1).restart();

  std::atomic<int> admitted{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 45; ++t) {
    threads.emplace_back([&, t] {
      const HttpResult r = me(t % kNodes, jwt);
      if (r.status == 200) {
        ++admitted;
      } else if (r.status == 429) {
        ++limited;
      } else {
        ++other;
        ADD_FAILURE() << r.status << " " << r.body;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 30);
  EXPECT_EQ(limited.load(), 15);
  EXPECT_EQ(other.load(), 0);
  for (int i = 0; i < kNodes; ++i) {
    HttpResult r = me(i, jwt);
    EXPECT_EQ(r.status, 429) << i;
    EXPECT_EQ(r.header("ratelimit-remaining"), "0");
  }

  advance_clocks(61);
  for (int i = 0; i < kNodes; ++i) {
    HttpResult r = me(i, jwt);
    EXPECT_EQ(r.status, 200) << i << ": " << r.body;
  }
}

}  // namespace
}  // namespace latchkey::testing
