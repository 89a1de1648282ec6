// Three nodes when something fails (issue 12; docs/operations.md "Failure
// modes"): a node killed with slots in flight (its leases expire), PostgreSQL
// restarted under write load (503 while down, every acknowledged write kept),
// Redis down (503 limits_unavailable on every node, then recovery).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "integration/multinode/three_nodes.h"

namespace latchkey::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class ThreeNodesThirtySecondLease : public ThreeNodes {
 protected:
  std::vector<std::string> extra_args() override { return {"--limits-lease-s", "30"}; }
};

// Test that the concurrency slots of a node killed with 5 requests in flight
// come back within the lease (30 s, on the test clocks): the limit is shared
// (a sixth request on another node is refused while they run), still refused
// 20 s after the kill, admitted once the lease has passed. (A lease runs from
// the slot's last renewal, at most lease/3 before the kill; the 20 s check
// leaves 10 s of real time for the steps in between.)
TEST_F(ThreeNodesThirtySecondLease, KilledNodesSlotsComeBackWithinTheLease) {
  const UserCredentials owner = create_user_with_credentials(0, "slots");
  HttpResult owner_issued = issue(0, owner);
  ASSERT_EQ(owner_issued.status, 200);
  const ApiKey key = create_key(0, json_of(owner_issued).value("access_token", ""), "gateway");
  const std::string jwt = exchange(0, key);

  std::vector<std::thread> held;
  for (int t = 0; t < 5; ++t) {
    held.emplace_back([&] { send(2, "GET", "/hold/a", {bearer_header(jwt)}); });
  }
  ASSERT_TRUE(upstream_->wait_held(5));
  HttpResult sixth = send(0, "GET", "/hold/a", {bearer_header(jwt)});
  EXPECT_EQ(sixth.status, 429) << sixth.body;
  EXPECT_EQ(json_of(sixth).value("error", ""), "concurrency_limited");

  node(2).kill_hard();  // its 5 slots stay in Redis until their leases expire
  for (auto& t : held) t.join();
  EXPECT_EQ(send(1, "GET", "/hold/a", {bearer_header(jwt)}).status, 429);
  advance_clocks(20);
  EXPECT_EQ(send(0, "GET", "/hold/a", {bearer_header(jwt)}).status, 429);
  EXPECT_EQ(send(1, "GET", "/hold/a", {bearer_header(jwt)}).status, 429);

  advance_clocks(11);  // 31 s: past the lease of every slot of node 2
  const std::size_t before = upstream_->requests().size();
  std::vector<HttpResult> results(5);
  std::vector<std::thread> admitted;
  for (int t = 0; t < 5; ++t) {
    admitted.emplace_back([&, t] {
      results[static_cast<std::size_t>(t)] = send(t % 2, "GET", "/hold/a", {bearer_header(jwt)});
    });
  }
  const bool arrived = upstream_->wait_requests(static_cast<int>(before) + 5);
  upstream_->release(100);
  for (auto& t : admitted) t.join();
  EXPECT_TRUE(arrived);
  for (const HttpResult& r : results) EXPECT_EQ(r.status, 200) << r.body;
}

// Test PostgreSQL restarted under write load from the three nodes (users
// created): every write answered while it was down is a 503 JSON error
// (never a 2xx, never a 500), every write acknowledged (201) before, during
// or after is in the store afterwards, and every node writes again once it
// is back.
TEST_F(ThreeNodes, PostgresRestartedMidLoad) {
  const std::string token = admin_token();
  ASSERT_FALSE(token.empty());
  struct Outcome {
    long status;
    std::string id;
    steady_clock::time_point sent, answered;
    int node;
  };
  std::mutex mutex;
  std::vector<Outcome> outcomes;
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop.load(); ++n) {
        const int i = w % kNodes;
        const auto sent = steady_clock::now();
        HttpResult r = send(i, "POST", "/api/v1/users", {bearer_header(token), kJsonType},
                            Json{{"name", "w" + std::to_string(w) + "-" + std::to_string(n)},
                                 {"type", "service"},
                                 {"api_access", false}}
                                .dump());
        Outcome o{r.status, "", sent, steady_clock::now(), i};
        if (r.status == 201) {
          o.id = json_of(r).value("id", "");
          ++acknowledged;
        } else if (r.status == 503) {
          EXPECT_FALSE(json_of(r).value("error", "").empty()) << r.body;
        }
        std::lock_guard lock(mutex);
        outcomes.push_back(o);
      }
    });
  }
  // Reads with a valid token while PostgreSQL is down: 200 (from memory) or
  // 503, never a 401 (the token is valid) and never a 500.
  std::atomic<int> reads_ok{0}, reads_503{0};
  std::atomic<bool> measure_reads{false};
  writers.emplace_back([&] {
    for (int n = 0; !stop.load(); ++n) {
      const HttpResult r = me(n % kNodes, token);
      EXPECT_TRUE(r.status == 200 || r.status == 503) << r.status << " " << r.body;
      if (measure_reads.load()) ++(r.status == 200 ? reads_ok : reads_503);
      std::this_thread::sleep_for(milliseconds(2));  // a reader among writers, not a flood
    }
  });
  auto wait_for = [&](auto done) {
    const auto end = steady_clock::now() + std::chrono::seconds(30);
    while (!done() && steady_clock::now() < end) std::this_thread::sleep_for(milliseconds(5));
    return done();
  };
  EXPECT_TRUE(wait_for([&] { return acknowledged.load() >= 30; }));
  shared_postgres_server().stop();
  const auto down = steady_clock::now();
  measure_reads = true;
  auto answered_while_down = [&] {
    std::lock_guard lock(mutex);
    int n = 0;
    for (const Outcome& o : outcomes) n += o.sent > down ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(wait_for([&] { return answered_while_down() >= 30; }));
  // Public data is served from memory; readiness says the store is gone.
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(send(i, "GET", "/healthz").status, 200) << i;
    EXPECT_EQ(send(i, "GET", "/.well-known/jwks.json").status, 200) << i;
    EXPECT_EQ(send(i, "GET", "/readyz").status, 503) << i;
  }
  measure_reads = false;
  // Writes answered before this were answered while PostgreSQL was down;
  // start() returns up to one poll after the server accepts connections,
  // and a node may write in that gap.
  const auto restarting = steady_clock::now();
  shared_postgres_server().start();
  const auto up = steady_clock::now();
  const int before_up = acknowledged.load();
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard lock(mutex);
    int per_node[kNodes] = {0, 0, 0};
    for (const Outcome& o : outcomes) {
      if (o.sent > up && o.status == 201) ++per_node[o.node];
    }
    return per_node[0] >= 3 && per_node[1] >= 3 && per_node[2] >= 3;
  })) << "the nodes did not write again after PostgreSQL came back";
  stop = true;
  for (auto& t : writers) t.join();

  int down_503 = 0;
  std::vector<std::string> acked;
  for (const Outcome& o : outcomes) {
    ASSERT_TRUE(o.status == 201 || o.status == 503) << o.status;
    if (o.status == 201) acked.push_back(o.id);
    if (o.sent > down && o.answered < restarting) {
      EXPECT_EQ(o.status, 503) << "a write was acknowledged while PostgreSQL was down";
      ++down_503;
    }
  }
  EXPECT_GE(down_503, 30);
  EXPECT_GT(acknowledged.load(), before_up);
  for (std::size_t n = 0; n < acked.size(); ++n) {
    HttpResult r = send(static_cast<int>(n % kNodes), "GET", "/api/v1/users/" + acked[n],
                        {bearer_header(token)});
    EXPECT_EQ(r.status, 200) << "acknowledged user " << acked[n] << " is missing: " << r.body;
  }
  std::cout << "[ multinode ] " << acked.size() << " users acknowledged, " << down_503
            << " writes refused with 503 while PostgreSQL was down; reads with a valid token "
            << "meanwhile: " << reads_ok.load() << " x 200, " << reads_503.load() << " x 503\n";
}

// Test Redis down for three nodes: every node refuses a key request with 503
// limits_unavailable (fail closed, docs/rate-limits.md), an account token
// (no per-key limit) is still served, and every node recovers by itself once
// Redis is back.
TEST_F(ThreeNodes, RedisDownFailsClosedOnEveryNodeThenRecovers) {
  const UserCredentials owner = create_user_with_credentials(0, "redis-down");
  HttpResult owner_issued = issue(0, owner);
  ASSERT_EQ(owner_issued.status, 200);
  const std::string owner_token = json_of(owner_issued).value("access_token", "");
  const ApiKey key = create_key(0, owner_token, "limited");
  const std::string jwt = exchange(0, key);
  for (int i = 0; i < kNodes; ++i) ASSERT_EQ(me(i, jwt).status, 200) << i;

  redis_.stop();
  for (int i = 0; i < kNodes; ++i) {
    HttpResult r = me(i, jwt);
    EXPECT_EQ(r.status, 503) << i << ": " << r.body;
    EXPECT_EQ(json_of(r).value("error", ""), "limits_unavailable");
    EXPECT_EQ(r.header("retry-after"), "1");
    EXPECT_EQ(me(i, owner_token).status, 200) << i;
  }

  redis_.start();
  for (int i = 0; i < kNodes; ++i) {
    const auto delay = time_until(steady_clock::now(), std::chrono::seconds(5), [&] {
      const long status = me(i, jwt).status;
      if (status != 200) std::this_thread::sleep_for(milliseconds(20));  // a real reconnect
      return status == 200;
    });
    EXPECT_TRUE(delay.has_value()) << "node " << i << " did not recover after Redis came back";
  }
}

}  // namespace
}  // namespace latchkey::testing
