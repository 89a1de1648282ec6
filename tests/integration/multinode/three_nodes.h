// Three latchkeyd nodes on loopback sharing one PostgreSQL database (a fresh
// one per test on the binary's PostgreSQL 15) and one Redis 7 (per test), as
// behind a load balancer: one JWT issuer for all, the same gateway route to
// one TestUpstream. Node 0 bootstraps the admin; nodes 1 and 2 join the
// bootstrapped store and must write no bootstrap file.
//
// The nodes run with --insecure-test-clock: each clock is the real time plus
// an offset, so the nodes agree as long as every advance is made on all of
// them (advance_clocks); a restarted node's offset starts at 0 again.
//
// Teardown order: nodes, then the upstream, then Redis (members in reverse).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/latchkeyd_process.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"
#include "support/test_upstream.h"

namespace latchkey::testing {

using Json = nlohmann::json;

inline constexpr int kNodes = 3;
inline const std::string kJsonType = "Content-Type: application/json";

struct UserCredentials {
  std::string user_id;
  std::string client_id;
  std::string client_secret;
};

struct ApiKey {
  std::string id;
  std::string secret;
};

class ThreeNodes : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Flags added to every node's command line (e.g. a short lease).
  virtual std::vector<std::string> extra_args() { return {}; }

  LatchkeydProcess& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  std::vector<std::string> node_args() const { return args_; }

  // One request to node i on this thread's own client (thread-safe).
  HttpResult send(int i, const std::string& method, const std::string& path,
                  const std::vector<std::string>& headers = {}, const std::string& body = "");
  HttpResult me(int i, const std::string& token);
  HttpResult issue(int i, const UserCredentials& c);

  // The admin's account token (issued once on node 0, used on every node).
  const std::string& admin_token();
  UserCredentials create_user_with_credentials(int i, const std::string& name);
  // An API key of `owner` (its account token), created on node i.
  ApiKey create_key(int i, const std::string& owner_token, const std::string& name);
  // A JWT from seed 004's exchange (POST /v2/auth/token/access) on node i.
  std::string exchange(int i, const ApiKey& key);
  // Advances every running node's test clock by the same amount.
  void advance_clocks(long long seconds);

  static Json json_of(const HttpResult& r);

  RedisServer redis_;
  std::unique_ptr<TestUpstream> upstream_;
  std::string database_;
  std::string store_url_;
  std::string config_path_;
  std::vector<std::string> args_;
  std::array<std::unique_ptr<LatchkeydProcess>, kNodes> nodes_;
  std::string admin_token_;
};

// Polls `refused()` (a real cross-process propagation: short waits, a
// deadline) and returns the delay from `since` to the first refusal, or
// nullopt if it did not happen before the deadline.
template <typename Refused>
std::optional<std::chrono::microseconds> time_until(std::chrono::steady_clock::time_point since,
                                                    std::chrono::milliseconds deadline,
                                                    Refused refused) {
  const auto end = since + deadline;
  while (true) {
    if (refused()) {
      return std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - since);
    }
    if (std::chrono::steady_clock::now() > end) return std::nullopt;
  }
}

// "p50 0.4 ms, p99 2.1 ms, max 3.0 ms over 40"
std::string percentiles(std::vector<std::chrono::microseconds> delays);

}  // namespace latchkey::testing
