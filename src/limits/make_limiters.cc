#include "limits/make_limiters.h"

#include "limits/redis_client.h"
#include "limits/redis_limiters.h"

namespace latchkey::limits {

Result<Limiters> make_limiters(const LimitersOptions& options, const Clock& clock) {
  Limiters out;
  if (options.url.empty()) {
    out.rate = make_local_rate_limiter(clock);
    out.concurrency = make_local_concurrency_limiter();
    out.description = "in process (each node counts its own requests)";
    return out;
  }
  auto endpoint = parse_redis_url(options.url);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (options.lease < std::chrono::seconds(1)) {
    return std::unexpected(Error::invalid_request("limits: the lease must be at least 1 s"));
  }
  RedisClientOptions client_options;
  client_options.connections = options.connections;
  client_options.connect_timeout = options.connect_timeout;
  client_options.command_timeout = options.command_timeout;
  client_options.log = options.log;
  auto redis = std::make_shared<RedisClient>(*endpoint, client_options);
  RedisLimiterOptions limiter_options;
  limiter_options.clock = options.use_clock_time ? &clock : nullptr;
  out.rate = std::make_unique<RedisRateLimiter>(redis, limiter_options);
  out.concurrency =
      std::make_unique<RedisConcurrencyLimiter>(redis, limiter_options, options.lease);
  out.description = "Redis at " + endpoint->redacted() + " (shared by every node using it; " +
                    "concurrency lease " + std::to_string(options.lease.count() / 1000) + " s" +
                    (options.use_clock_time ? ", test clock" : ", Redis server time") + ")";
  return out;
}

}  // namespace latchkey::limits
