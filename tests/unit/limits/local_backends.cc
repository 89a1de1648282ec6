// The contract tests against the in-process limiters.
#include "limiter_backends.h"

namespace latchkey::limits {
namespace {

INSTANTIATE_TEST_SUITE_P(Local, RateLimiterTest,
                         ::testing::Values(RateBackend{
                             "Local",
                             [](const Clock& clock, std::chrono::seconds window) {
                               return make_local_rate_limiter(clock, window);
                             }}),
                         [](const auto& info) { return backend_name(info); });

INSTANTIATE_TEST_SUITE_P(Local, ConcurrencyLimiterTest,
                         ::testing::Values(ConcurrencyBackend{
                             "Local",
                             [](const Clock&) { return make_local_concurrency_limiter(); }}),
                         [](const auto& info) { return backend_name(info); });

}  // namespace
}  // namespace latchkey::limits
