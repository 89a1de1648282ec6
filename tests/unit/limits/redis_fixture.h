// One redis-server per test binary (started on first use, killed at exit),
// and Redis limiters on it with a fresh key prefix per test.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "limits/redis_client.h"
#include "limits/redis_limiters.h"
#include "support/redis_server.h"

namespace latchkey::limits {

inline testing::RedisServer& shared_redis() {
  static auto* server = new testing::RedisServer();  // killed by the atexit below
  static const bool registered = [] {
    std::atexit([] { delete server; });
    return true;
  }();
  (void)registered;
  return *server;
}

// A client as a node has one: its own pool of connections.
inline std::shared_ptr<RedisClient> redis_client(RedisClientOptions options = {}) {
  auto endpoint = parse_redis_url(shared_redis().url());
  return std::make_shared<RedisClient>(*endpoint, std::move(options));
}

// Keys of one test never meet another test's.
inline std::string fresh_prefix() {
  static std::atomic<int> n{0};
  return "test" + std::to_string(n.fetch_add(1)) + ":";
}

inline RedisLimiterOptions on_clock(const Clock& clock, std::string prefix) {
  RedisLimiterOptions o;
  o.clock = &clock;
  o.prefix = std::move(prefix);
  return o;
}

}  // namespace latchkey::limits
