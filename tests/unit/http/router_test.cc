#include "http/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

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

// Test that a literal route added before a parameter route wins for its
// literal; the parameter route still takes every other value.
TEST(Router, LiteralAddedFirstWinsOverParameter) {
  Router router;
  router.add("GET", "/api/v1/users/me", Dispatch::kInline, answer("me"));
  router.add("GET", "/api/v1/users/{id}", Dispatch::kInline, answer("get-user"));
  const auto me = router.match("GET", "/api/v1/users/me");
  ASSERT_NE(me.handler, nullptr);
  EXPECT_EQ(call(me), "me");
  EXPECT_EQ(me.params.get("id"), "");
  const auto other = router.match("GET", "/api/v1/users/u-1");
  ASSERT_NE(other.handler, nullptr);
  EXPECT_EQ(call(other), "get-user");
  EXPECT_EQ(other.params.get("id"), "u-1");
}

// Test that registration order decides when the literal and the parameter
// are at different depths ("/a/{x}/c" against "/a/b/{y}"), in both orders.
TEST(Router, RegistrationOrderDecidesAcrossDepths) {
  Router param_first;
  param_first.add("GET", "/a/{x}/c", Dispatch::kInline, answer("x"));
  param_first.add("GET", "/a/b/{y}", Dispatch::kInline, answer("y"));
  auto m = param_first.match("GET", "/a/b/c");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(call(m), "x");
  EXPECT_EQ(m.params.get("x"), "b");
  EXPECT_EQ(call(param_first.match("GET", "/a/b/d")), "y");
  EXPECT_EQ(call(param_first.match("GET", "/a/z/c")), "x");

  Router literal_first;
  literal_first.add("GET", "/a/b/{y}", Dispatch::kInline, answer("y"));
  literal_first.add("GET", "/a/{x}/c", Dispatch::kInline, answer("x"));
  m = literal_first.match("GET", "/a/b/c");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(call(m), "y");
  EXPECT_EQ(m.params.get("y"), "c");
  EXPECT_EQ(m.params.get("x"), "");
}

// Test that a route of another method does not hide a later route of the
// requested method that matches the same path through a parameter.
TEST(Router, MethodIsMatchedAcrossLiteralAndParameterRoutes) {
  Router router;
  router.add("POST", "/items/new", Dispatch::kInline, answer("create"));
  router.add("GET", "/items/{id}", Dispatch::kInline, answer("get"));
  const auto get = router.match("GET", "/items/new");
  ASSERT_NE(get.handler, nullptr);
  EXPECT_EQ(call(get), "get");
  EXPECT_EQ(get.params.get("id"), "new");
  const auto post = router.match("POST", "/items/new");
  ASSERT_NE(post.handler, nullptr);
  EXPECT_EQ(call(post), "create");
  EXPECT_EQ(router.match("POST", "/items/7").allowed_methods, "GET");
}

// Test that 405's Allow lists each method of every route matching the path
// once, in the order the routes were added, literal and parameter alike.
TEST(Router, AllowedMethodsComeInOrderAddedWithoutRepeats) {
  Router router;
  router.add("GET", "/items/{id}", Dispatch::kInline, answer("get"));
  router.add("POST", "/items/new", Dispatch::kInline, answer("create"));
  router.add("GET", "/items/new", Dispatch::kInline, answer("never: the first GET wins"));
  router.add("DELETE", "/items/{id}", Dispatch::kBlocking, answer("delete"));
  router.add_async("PATCH", "/items/{id}", [](Request, PathParams, std::shared_ptr<Responder>) {});
  EXPECT_EQ(router.match("PUT", "/items/new").allowed_methods, "GET, POST, DELETE, PATCH");
  EXPECT_EQ(router.match("PUT", "/items/7").allowed_methods, "GET, DELETE, PATCH");
  const auto patch = router.match("PATCH", "/items/7");
  EXPECT_EQ(patch.handler, nullptr);
  ASSERT_NE(patch.async_handler, nullptr);
  EXPECT_EQ(patch.dispatch, Dispatch::kAsync);
  EXPECT_TRUE(patch.allowed_methods.empty());
  EXPECT_EQ(call(router.match("GET", "/items/new")), "get");
}

// Test that the matched route's pattern is reported (for metrics), and is
// the router's own string.
TEST(Router, ReportsTheMatchedPattern) {
  const Router router = make_router();
  const auto match = router.match("GET", "/api/v1/users/u-1/keys/k-2");
  ASSERT_NE(match.pattern, nullptr);
  EXPECT_EQ(*match.pattern, "/api/v1/users/{id}/keys/{key_id}");
  EXPECT_EQ(router.match("GET", "/api/v1/users/u-9/keys/k-8").pattern, match.pattern);
  EXPECT_EQ(router.match("GET", "/nope").pattern, nullptr);
  EXPECT_EQ(router.match("PUT", "/healthz").pattern, nullptr);
}

// Test that the root pattern matches "/" only, and that "{}" is a literal.
TEST(Router, RootAndBraceLiterals) {
  Router router;
  router.add("GET", "/", Dispatch::kInline, answer("root"));
  router.add("GET", "/x/{}", Dispatch::kInline, answer("braces"));
  EXPECT_EQ(call(router.match("GET", "/")), "root");
  EXPECT_EQ(router.match("GET", "").handler, nullptr);
  EXPECT_EQ(router.match("GET", "/x").handler, nullptr);
  EXPECT_EQ(call(router.match("GET", "/x/{}")), "braces");
  EXPECT_EQ(router.match("GET", "/x/y").handler, nullptr);
}

// Test that a table of thousands of routes still finds each one, with its
// parameters, and that copies of the router match alike.
TEST(Router, ManyRoutes) {
  Router router;
  constexpr int kRoutes = 3000;
  for (int i = 0; i < kRoutes; ++i) {
    const std::string n = std::to_string(i);
    router.add("GET", "/svc" + n + "/items/{id}", Dispatch::kInline, answer("get" + n));
    router.add("POST", "/svc" + n + "/items", Dispatch::kBlocking, answer("post" + n));
  }
  const Router copy = router;
  for (int i = 0; i < kRoutes; i += 7) {
    const std::string n = std::to_string(i);
    for (const Router* r : {static_cast<const Router*>(&router), &copy}) {
      const auto get = r->match("GET", "/svc" + n + "/items/it-" + n);
      ASSERT_NE(get.handler, nullptr) << n;
      EXPECT_EQ(call(get), "get" + n);
      EXPECT_EQ(get.params.get("id"), "it-" + n);
      const auto post = r->match("POST", "/svc" + n + "/items");
      ASSERT_NE(post.handler, nullptr) << n;
      EXPECT_EQ(call(post), "post" + n);
      EXPECT_EQ(post.dispatch, Dispatch::kBlocking);
      EXPECT_EQ(r->match("DELETE", "/svc" + n + "/items").allowed_methods, "POST");
    }
  }
  EXPECT_EQ(router.match("GET", "/svc" + std::to_string(kRoutes) + "/items/x").handler, nullptr);
  EXPECT_EQ(router.describe().size(), 2u * kRoutes);
}

// The matching rule as it was first written: every route in the order added.
struct ReferenceMatch {
  int route = -1;  // index in the order added; -1: none
  std::vector<std::pair<std::string, std::string>> params;
  std::string allowed_methods;
};

std::vector<std::string> segments_of(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto end = std::min(path.find('/', i), path.size());
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

ReferenceMatch reference_match(const std::vector<std::pair<std::string, std::string>>& routes,
                               std::string_view method, std::string_view path) {
  ReferenceMatch result;
  if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos) {
    return result;
  }
  const auto parts = segments_of(path);
  std::vector<std::string> allowed;
  for (std::size_t r = 0; r < routes.size(); ++r) {
    const auto segs = segments_of(routes[r].second);
    if (segs.size() != parts.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = segs[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params.emplace_back(seg.substr(1, seg.size() - 2), parts[i]);
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (routes[r].first == method) {
      result.route = static_cast<int>(r);
      result.params = std::move(params);
      return result;
    }
    if (std::find(allowed.begin(), allowed.end(), routes[r].first) == allowed.end()) {
      allowed.push_back(routes[r].first);
    }
  }
  for (const auto& m : allowed) {
    if (!result.allowed_methods.empty()) result.allowed_methods += ", ";
    result.allowed_methods += m;
  }
  return result;
}

// Test that the indexed lookup answers exactly as trying every route in the
// order added would, over random tables that overlap a lot (literals and
// parameters at every depth, several methods) and random paths.
TEST(Router, AgreesWithFirstMatchInOrderAdded) {
  std::mt19937 rng(20240611);  // fixed: the test is deterministic
  const std::vector<std::string> words = {"a", "b", "c", "{p}", "{q}", "{r}"};
  const std::vector<std::string> methods = {"GET", "POST", "DELETE"};
  const std::vector<std::string> path_words = {"a", "b", "c", "d"};
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  for (int table = 0; table < 50; ++table) {
    Router router;
    std::vector<std::pair<std::string, std::string>> routes;
    const int count = std::uniform_int_distribution<int>(1, 40)(rng);
    for (int i = 0; i < count; ++i) {
      const int depth = std::uniform_int_distribution<int>(0, 3)(rng);
      std::string pattern;
      for (int d = 0; d < depth; ++d) pattern += "/" + pick(words);
      if (pattern.empty()) pattern = "/";
      routes.emplace_back(pick(methods), pattern);
      router.add(routes.back().first, pattern, Dispatch::kInline, answer(std::to_string(i)));
    }
    for (int probe = 0; probe < 200; ++probe) {
      const int depth = std::uniform_int_distribution<int>(0, 4)(rng);
      std::string path;
      for (int d = 0; d < depth; ++d) path += "/" + pick(path_words);
      if (path.empty() || probe % 5 == 0) path += "/";
      const std::string method = pick(methods);
      const ReferenceMatch want = reference_match(routes, method, path);
      const Router::Match got = router.match(method, path);
      SCOPED_TRACE("table " + std::to_string(table) + ": " + method + " " + path);
      if (want.route < 0) {
        EXPECT_EQ(got.handler, nullptr);
        EXPECT_EQ(got.allowed_methods, want.allowed_methods);
        continue;
      }
      ASSERT_NE(got.handler, nullptr);
      EXPECT_EQ(call(got), std::to_string(want.route));
      EXPECT_EQ(*got.pattern, routes[static_cast<std::size_t>(want.route)].second);
      EXPECT_TRUE(got.allowed_methods.empty());
      for (const auto& [name, value] : want.params) {
        // A name used twice in one pattern reads as its first value.
        const auto first = std::find_if(want.params.begin(), want.params.end(),
                                        [&](const auto& p) { return p.first == name; });
        EXPECT_EQ(got.params.get(name), first->second) << name;
      }
    }
  }
}

// Test that a last "{name+}" segment takes the rest of the path (one or
// more segments, '/' included), loses to an earlier route, and answers 405
// like any other route.
TEST(Router, RestSegmentTakesTheRestOfThePath) {
  Router router;
  router.add("GET", "/v1/ext-authz/health", Dispatch::kInline, answer("literal"));
  router.add("GET", "/v1/ext-authz/{path+}", Dispatch::kInline, answer("rest"));
  router.add("POST", "/v1/ext-authz/{path+}", Dispatch::kInline, answer("rest-post"));
  auto m = router.match("GET", "/v1/ext-authz/api/records/7");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(call(m), "rest");
  EXPECT_EQ(m.params.get("path"), "api/records/7");
  EXPECT_EQ(*m.pattern, "/v1/ext-authz/{path+}");
  m = router.match("GET", "/v1/ext-authz/a/");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.get("path"), "a/");
  m = router.match("GET", "/v1/ext-authz/health");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(call(m), "literal");
  EXPECT_EQ(router.match("GET", "/v1/ext-authz").handler, nullptr);  // at least one segment
  EXPECT_EQ(router.match("GET", "/v1/ext-authz/").handler, nullptr);
  EXPECT_EQ(router.match("GET", "/v1/ext-authz//a").handler, nullptr);  // "//" never matches
  EXPECT_EQ(router.match("DELETE", "/v1/ext-authz/x/y").allowed_methods, "GET, POST");
  // Not last: a literal segment.
  router.add("GET", "/odd/{x+}/tail", Dispatch::kInline, answer("odd"));
  EXPECT_EQ(router.match("GET", "/odd/a/tail").handler, nullptr);
  EXPECT_NE(router.match("GET", "/odd/{x+}/tail").handler, nullptr);
}

}  // namespace
}  // namespace latchkey::http
