// The contract tests against the Redis limiters on a real redis-server, on
// the test's FakeClock (its time is passed to the scripts).
#include "limiter_backends.h"
#include "redis_fixture.h"

namespace latchkey::limits {
namespace {

INSTANTIATE_TEST_SUITE_P(Redis, RateLimiterTest,
                         ::testing::Values(RateBackend{
                             "Redis",
                             [](const Clock& clock, std::chrono::seconds window) {
                               return std::make_unique<RedisRateLimiter>(
                                   redis_client(), on_clock(clock, fresh_prefix()), window);
                             }}),
                         [](const auto& info) { return backend_name(info); });

INSTANTIATE_TEST_SUITE_P(Redis, ConcurrencyLimiterTest,
                         ::testing::Values(ConcurrencyBackend{
                             "Redis",
                             [](const Clock& clock) {
                               return std::make_unique<RedisConcurrencyLimiter>(
                                   redis_client(), on_clock(clock, fresh_prefix()));
                             }}),
                         [](const auto& info) { return backend_name(info); });

}  // namespace
}  // namespace latchkey::limits
