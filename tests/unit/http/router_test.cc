#include "http/router.h"

#include <gtest/gtest.h>

namespace latchkey::http {
namespace {

Handler answer(std::string text) {
  return [text](const Request&, const PathParams&) { return Response::json(200, text); };
}

Router make_router() {
  Router router;
  router.add("GET", "/healthz", Dispatch::kInline, answer("health"));
  router.add("GET", "/api/v1/users/{id}", Dispatch::kInline, answer("get-user"));
  router.add("DELETE", "/api/v1/users/{id}", Dispatch::kBlocking, answer("delete-user"));
  router.add("POST", "/api/v1/users/{id}/access-key", Dispatch::kBlocking, answer("new-key"));
  router.add("GET", "/api/v1/users/{id}/keys/{key_id}", Dispatch::kInline, answer("get-key"));
  router.add("GET", "/api/v1/users/me", Dispatch::kInline, answer("me"));
  return router;
}

std::string call(const Router::Match& match) {
  return (*match.handler)(Request{}, match.params).body;
}

// Test that a literal route matches and carries its dispatch mode.
TEST(Router, MatchesLiteralRoute) {
  const Router router = make_router();
  const auto match = router.match("GET", "/healthz");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(call(match), "health");
  EXPECT_EQ(match.dispatch, Dispatch::kInline);
  EXPECT_TRUE(match.allowed_methods.empty());
}

// Test that an empty segment matches no route: checks that read the raw path
// (e.g. "starts with /api/") must see the path the route was matched on.
TEST(Router, EmptySegmentsMatchNothing) {
  const Router router = make_router();
  EXPECT_EQ(router.match("GET", "//healthz").handler, nullptr);
  EXPECT_EQ(router.match("GET", "/api//v1/users/u-42/keys/k-7").handler, nullptr);
  EXPECT_TRUE(router.match("GET", "//healthz").allowed_methods.empty());
  EXPECT_NE(router.match("GET", "/healthz").handler, nullptr);
}

// Test that named parameters are captured, several per pattern.
TEST(Router, CapturesPathParameters) {
  const Router router = make_router();
  const auto match = router.match("GET", "/api/v1/users/u-42/keys/k-7");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(call(match), "get-key");
  EXPECT_EQ(match.params.get("id"), "u-42");
  EXPECT_EQ(match.params.get("key_id"), "k-7");
  EXPECT_EQ(match.params.get("absent"), "");
}

// Test that the method selects among routes sharing a pattern.
TEST(Router, MethodSelectsTheRoute) {
  const Router router = make_router();
  const auto del = router.match("DELETE", "/api/v1/users/7");
  ASSERT_NE(del.handler, nullptr);
  EXPECT_EQ(call(del), "delete-user");
  EXPECT_EQ(del.dispatch, Dispatch::kBlocking);
  EXPECT_EQ(del.params.get("id"), "7");
}

// Test that the first route added wins when a literal and a parameter both match.
TEST(Router, FirstMatchingRouteWins) {
  const Router router = make_router();
  const auto match = router.match("GET", "/api/v1/users/me");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(call(match), "get-user");
  EXPECT_EQ(match.params.get("id"), "me");
}

// Test that an unknown path has no handler and no allowed methods (404).
TEST(Router, UnknownPathIsNotFound) {
  const Router router = make_router();
  for (const char* path :
       {"/nope", "/api/v1/users", "/api/v1/users/1/access-key/extra", "", "healthz", "*"}) {
    const auto match = router.match("GET", path);
    EXPECT_EQ(match.handler, nullptr) << path;
    EXPECT_TRUE(match.allowed_methods.empty()) << path;
  }
}

// Test that a known path with another method lists the allowed methods (405 + Allow).
TEST(Router, KnownPathWithOtherMethodListsAllowedMethods) {
  const Router router = make_router();
  const auto put = router.match("PUT", "/api/v1/users/9");
  EXPECT_EQ(put.handler, nullptr);
  EXPECT_EQ(put.allowed_methods, "GET, DELETE");

  const auto get = router.match("GET", "/api/v1/users/9/access-key");
  EXPECT_EQ(get.handler, nullptr);
  EXPECT_EQ(get.allowed_methods, "POST");
}

// Test that method names are case-sensitive, as HTTP says.
TEST(Router, MethodIsCaseSensitive) {
  const Router router = make_router();
  const auto match = router.match("get", "/healthz");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allowed_methods, "GET");
}

// Test that a trailing slash is ignored ("//" is refused: EmptySegmentsMatchNothing).
TEST(Router, TrailingSlashIsIgnored) {
  const Router router = make_router();
  const auto match = router.match("GET", "/healthz/");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(call(match), "health");
}

// Test that an empty segment cannot stand in for a parameter.
TEST(Router, EmptySegmentIsNotAParameter) {
  const Router router = make_router();
  const auto match = router.match("GET", "/api/v1/users//keys/k");
  EXPECT_EQ(match.handler, nullptr);
}

// Test that describe() lists every route as "METHOD pattern" in order.
TEST(Router, DescribeListsEveryRoute) {
  const Router router = make_router();
  const auto routes = router.describe();
  ASSERT_EQ(routes.size(), 6u);
  EXPECT_EQ(routes[0], "GET /healthz");
  EXPECT_EQ(routes[3], "POST /api/v1/users/{id}/access-key");
}

}  // namespace
}  // namespace latchkey::http
