#include "gateway/route_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace latchkey::gateway {
namespace {

GatewayRouteSpec records_route() {
  GatewayRouteSpec spec;
  spec.method = "GET";
  spec.path = "/api/apps/{app}/steps/{step}/records";
  spec.upstream = "http://127.0.0.1:9000";
  spec.action = "read_records";
  spec.application_param = "app";
  spec.step_param = "step";
  return spec;
}

std::string compile_error(const GatewayRouteSpec& spec) {
  auto routes = compile_gateway_routes({spec});
  return routes ? "" : routes.error().description;
}

// Test that a route compiles with its parameters, upstream and action, and
// that the decision request takes the application and step from the path.
TEST(GatewayRoutes, CompilesAndExtractsParameters) {
  auto routes = compile_gateway_routes({records_route()});
  ASSERT_TRUE(routes) << routes.error().description;
  ASSERT_EQ(routes->size(), 1u);
  const GatewayRoute& route = routes->front();
  EXPECT_EQ(route.methods, (std::vector<std::string>{"GET"}));
  EXPECT_EQ(route.params, (std::vector<std::string>{"app", "step"}));
  EXPECT_EQ(route.label, "GET /api/apps/{app}/steps/{step}/records");
  EXPECT_EQ(route.upstream.host, "127.0.0.1");
  EXPECT_EQ(route.upstream.port, 9000);
  EXPECT_EQ(route.upstream.host_header, "127.0.0.1:9000");
  EXPECT_EQ(route.timeout, std::chrono::milliseconds(30'000));
  EXPECT_EQ(route.connect_timeout, std::chrono::milliseconds(2'000));
  EXPECT_FALSE(route.forward_authorization);

  const std::map<std::string, std::string, std::less<>> params = {{"app", "app_1"},
                                                                  {"step", "stp_9"}};
  const policy::DecisionRequest request = route.decision_request([&](std::string_view name) {
    auto it = params.find(name);
    return it == params.end() ? std::string_view{} : std::string_view(it->second);
  });
  EXPECT_EQ(request.action, policy::Action::kReadRecords);
  EXPECT_EQ(request.application, "app_1");
  EXPECT_EQ(request.steps, (std::vector<std::string>{"stp_9"}));
}

// Test that fixed application and step values are used as configured.
TEST(GatewayRoutes, FixedApplicationAndStep) {
  GatewayRouteSpec spec = records_route();
  spec.path = "/records";
  spec.application_param.clear();
  spec.step_param.clear();
  spec.application = "app_fixed";
  spec.step = "stp_fixed";
  auto routes = compile_gateway_routes({spec});
  ASSERT_TRUE(routes) << routes.error().description;
  const auto request = routes->front().decision_request([](std::string_view) { return ""; });
  EXPECT_EQ(request.application, "app_fixed");
  EXPECT_EQ(request.steps, (std::vector<std::string>{"stp_fixed"}));
}

// Test that "*" expands to every method and "authenticated" needs no application.
TEST(GatewayRoutes, AnyMethodAndAuthenticatedOnly) {
  GatewayRouteSpec spec;
  spec.method = "*";
  spec.path = "/status";
  spec.upstream = "http://localhost";
  spec.action = "authenticated";
  auto routes = compile_gateway_routes({spec});
  ASSERT_TRUE(routes) << routes.error().description;
  EXPECT_EQ(routes->front().methods.size(), 7u);
  EXPECT_TRUE(routes->front().authenticated_only());
  EXPECT_EQ(routes->front().upstream.port, 80);
  EXPECT_EQ(routes->front().upstream.host_header, "localhost");
}

// Test that every kind of bad route is refused with a message naming it.
TEST(GatewayRoutes, BadRoutesRefused) {
  struct Case {
    std::function<void(GatewayRouteSpec&)> change;
    std::string expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {[](auto& s) { s.method = "BREW"; }, "method \"BREW\""},
      {[](auto& s) { s.path = "api"; }, "must start with '/'"},
      {[](auto& s) { s.path = "/api/../x/{app}/{step}"; }, "dot"},
      {[](auto& s) { s.path = "/api//x/{app}/{step}"; }, "empty"},
      {[](auto& s) { s.path = "/a/{app}/{app}/{step}"; }, "appears twice"},
      {[](auto& s) { s.path = "/a/{a-b}/{app}/{step}"; }, "letters, digits"},
      {[](auto& s) { s.application_param = "application"; }, "application_param \"application\""},
      {[](auto& s) { s.step_param = "nope"; }, "step_param \"nope\" is not a parameter"},
      {[](auto& s) { s.application = "app_1"; }, "not both"},
      {[](auto& s) { s.step = "stp_1"; }, "not both"},
      {[](auto& s) { s.application_param.clear(); }, "needs application"},
      {[](auto& s) { s.step_param.clear(); }, "needs step"},
      {[](auto& s) { s.action = "delete_everything"; }, "action \"delete_everything\""},
      {[](auto& s) { s.upstream = "https://api.internal"; }, "not supported"},
      {[](auto& s) { s.upstream = "ftp://x"; }, "http://"},
      {[](auto& s) { s.upstream = "http://"; }, "no host"},
      {[](auto& s) { s.upstream = "http://x:0"; }, "bad port"},
      {[](auto& s) { s.upstream = "http://x:99999"; }, "bad port"},
      {[](auto& s) { s.upstream = "http://x:80x"; }, "bad port"},
      {[](auto& s) { s.upstream = "http://u:p@x"; }, "user info"},
      {[](auto& s) { s.upstream = "http://x/a?b"; }, "query"},
      {[](auto& s) { s.timeout_ms = 0; }, "timeout_ms"},
      {[](auto& s) { s.connect_timeout_ms = -1; }, "connect_timeout_ms"},
  };
  for (const Case& c : cases) {
    GatewayRouteSpec spec = records_route();
    c.change(spec);
    const std::string error = compile_error(spec);
    EXPECT_NE(error.find("gateway_routes[0]"), std::string::npos) << c.expected;
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
  }
  // authenticated takes no application.
  GatewayRouteSpec spec = records_route();
  spec.action = "authenticated";
  EXPECT_NE(compile_error(spec).find("takes no application"), std::string::npos);
  // The same method and path twice.
  auto twice = compile_gateway_routes({records_route(), records_route()});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().description.find("gateway_routes[1]"), std::string::npos);
}

// Test upstream URLs: port, IPv6, base path (trailing '/' dropped) and the
// target sent upstream.
TEST(GatewayRoutes, UpstreamUrls) {
  auto up = parse_upstream_url("http://[::1]:8081/base/v1/");
  ASSERT_TRUE(up) << up.error().description;
  EXPECT_EQ(up->host, "::1");
  EXPECT_EQ(up->port, 8081);
  EXPECT_EQ(up->base_path, "/base/v1");
  EXPECT_EQ(up->host_header, "[::1]:8081");
  EXPECT_EQ(up->key(), "::1:8081");

  GatewayRouteSpec spec = records_route();
  spec.upstream = "http://api.internal:8000/prefix";
  auto routes = compile_gateway_routes({spec});
  ASSERT_TRUE(routes);
  EXPECT_EQ(routes->front().upstream_target("/api/apps/a/steps/s/records?x=1"),
            "/prefix/api/apps/a/steps/s/records?x=1");
}

// Test that paths an upstream could read differently are recognised.
TEST(GatewayRoutes, AmbiguousPaths) {
  for (const char* ok : {"/", "/api/apps/app_1/records", "/a/b.c/d", "/a/%20b", "/a/%C3%A9",
                         "/a/%3F", "/a/%25", "/a/%40x", "/a/b~c_d-e"}) {
    EXPECT_FALSE(is_ambiguous_path(ok)) << ok;
  }
  for (const char* bad : {"", "api", "/a//b", "/a/./b", "/a/../b", "/a/..", "/a/%2e%2e/b",
                          "/a/%2F/b", "/a%2fb", "/a/%5c", "/a\\b", "/a/"}) {
    EXPECT_TRUE(is_ambiguous_path(bad)) << bad;
  }
  // An escaped unreserved character: "/records/%65xport" would match
  // {id} here and be "/records/export" to an upstream that decodes.
  for (const char* bad : {"/records/%65xport", "/a/%41", "/a/%7a", "/a/%30", "/a/%2D", "/a/%5F",
                          "/a/%7E", "/a/%7e"}) {
    EXPECT_TRUE(is_ambiguous_path(bad)) << bad;
  }
  // Escaped overlong UTF-8 forms ("." and "/" to a lenient decoder); a
  // well-formed escaped UTF-8 sequence passes.
  for (const char* bad : {"/a/%C0%AE%C0%AE/b", "/a/%c0%af", "/a/%C1%9C", "/a/%E0%80%AE",
                          "/a/%e0%9f%bf", "/a/%F0%80%80%AE", "/a/%f0%8f%bf%bf"}) {
    EXPECT_TRUE(is_ambiguous_path(bad)) << bad;
  }
  for (const char* ok : {"/a/%E0%A0%80", "/a/%F0%90%80%80", "/a/%C2%A9", "/a/%E0", "/a/%E0x"}) {
    EXPECT_FALSE(is_ambiguous_path(ok)) << ok;
  }
  // ';' (path parameters), plain or escaped, and malformed escapes.
  for (const char* bad :
       {"/a;b", "/a/b;c=d", "/a/;", "/a/%3B", "/a/%3b", "/a/%", "/a/%4", "/a/%zz", "/a/%4g"}) {
    EXPECT_TRUE(is_ambiguous_path(bad)) << bad;
  }
}

}  // namespace
}  // namespace latchkey::gateway
