// The limiter contract tests (rate_limiter_test.cc, concurrency_limiter_test.cc)
// run against every implementation: each test binary instantiates them with
// its backends (local_backends.cc here; redis_backends.cc in
// redis_limits_test, against a real Redis).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "limits/concurrency_limiter.h"
#include "limits/rate_limiter.h"

namespace latchkey::limits {

struct RateBackend {
  std::string name;
  // A fresh limiter with no admissions yet (Redis: a fresh key prefix).
  std::function<std::unique_ptr<RateLimiter>(const Clock&, std::chrono::seconds window)> make;
};

struct ConcurrencyBackend {
  std::string name;
  std::function<std::unique_ptr<ConcurrencyLimiter>(const Clock&)> make;
};

class RateLimiterTest : public ::testing::TestWithParam<RateBackend> {
 protected:
  std::unique_ptr<RateLimiter> make(const Clock& clock,
                                    std::chrono::seconds window = std::chrono::seconds(60)) {
    return GetParam().make(clock, window);
  }
};

class ConcurrencyLimiterTest : public ::testing::TestWithParam<ConcurrencyBackend> {
 protected:
  std::unique_ptr<ConcurrencyLimiter> make(const Clock& clock) { return GetParam().make(clock); }
};

inline std::string backend_name(const ::testing::TestParamInfo<RateBackend>& info) {
  return info.param.name;
}
inline std::string backend_name(const ::testing::TestParamInfo<ConcurrencyBackend>& info) {
  return info.param.name;
}

}  // namespace latchkey::limits
