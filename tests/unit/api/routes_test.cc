#include "api/routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::api {
namespace {

// Test that the test-only clock route exists only with --insecure-test-clock.
TEST(Routes, TestClockRouteOnlyWhenEnabled) {
  char tmpl[] = "/tmp/latchkey-routes-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    auto store = open_sqlite_store({.data_dir = dir});
    ASSERT_TRUE(store.has_value());
    testing::FakeClock clock;
    testing::CounterRandom random;
    AccountTokenCache cache;
    AccountTokenService tokens(**store, cache, clock, random, {});
    ClientAuthenticator clients(**store);
    UserService users(**store, clock, random, [](std::string_view) {});
    AdjustableClock test_clock;

    auto has_clock_route = [](const http::Router& router) {
      const auto routes = router.describe();
      return std::find(routes.begin(), routes.end(), "POST /_test/clock/advance") != routes.end();
    };
    ApiContext production{**store, clock, clients, tokens, users, nullptr};
    EXPECT_FALSE(has_clock_route(build_router(production)));
    EXPECT_EQ(build_router(production).match("POST", "/_test/clock/advance").handler, nullptr);
    ApiContext testing_ctx{**store, clock, clients, tokens, users, &test_clock};
    EXPECT_TRUE(has_clock_route(build_router(testing_ctx)));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace latchkey::api
