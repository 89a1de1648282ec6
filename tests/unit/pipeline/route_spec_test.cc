// The one route spec (pipeline/route_spec.h) behind both configured route
// kinds: path patterns and the decision a route asks for.
#include "pipeline/route_spec.h"

#include <gtest/gtest.h>

#include "pipeline/route_rules.h"

namespace latchkey::pipeline {
namespace {

// Test that a pattern captures whole segments and matches only its shape.
TEST(PathPattern, CapturesAndShape) {
  auto p = PathPattern::compile("/apps/{app}/steps/{step}", {});
  ASSERT_TRUE(p) << p.error().description;
  EXPECT_EQ(p->params(), (std::vector<std::string>{"app", "step"}));
  auto m = p->match("/apps/app_1/steps/stp_2");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (PathPattern::Captures{{"app", "app_1"}, {"step", "stp_2"}}));
  EXPECT_FALSE(p->match("/apps/app_1/steps"));
  EXPECT_FALSE(p->match("/apps//steps/stp_2"));
  EXPECT_FALSE(p->match("/apps/app_1/steps/stp_2/x"));
}

// Test that a path an upstream might read differently never matches.
TEST(PathPattern, AmbiguousPathsNeverMatch) {
  auto p = PathPattern::compile("/*", {.allow_rest = true});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->match("/"));
  EXPECT_TRUE(p->match("/a/b/c"));
  for (const char* path : {"/a/../b", "/a/./b", "/a//b", "/a%2Fb", "/a%2eb", "/a%5Cb", "a", ""}) {
    EXPECT_FALSE(p->match(path)) << path;
  }
}

// Test the pattern syntax errors.
TEST(PathPattern, BadPatterns) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x", "must start with '/'"},         {"/a/../b", "dot segments"},
      {"/a//b", "empty segment"},           {"/a/{a-b}", "letters, digits"},
      {"/a/{x}/{x}", "{x} appears twice"},  {"/a/*/b", "'*' may only be the last"},
      {"/a/%2F", "malformed path segment"}, {"/a/b{c}", "malformed path segment"}};
  for (const auto& [pattern, expected] : cases) {
    auto p = PathPattern::compile(pattern, {.allow_rest = true});
    ASSERT_FALSE(p) << pattern;
    EXPECT_NE(p.error().description.find(expected), std::string::npos)
        << pattern << ": " << p.error().description;
  }
  // Without rest, '*' is a literal character.
  EXPECT_TRUE(PathPattern::compile("/a/*", {}));
}

// Test that the same route configured for nginx and for the gateway asks
// the same decision: one spec, one resolution.
TEST(DecisionSpec, OneSpecForBothRouteKinds) {
  auto rules = RouteRules::compile(
      {{.method = "PUT", .path = "/apps/{application}/steps/{step}", .action = "update_record"}});
  ASSERT_TRUE(rules) << rules.error().description;
  auto rule = rules->match("PUT", "/apps/app_1/steps/stp_2");
  ASSERT_TRUE(rule);

  auto pattern = PathPattern::compile("/apps/{application}/steps/{step}", {});
  ASSERT_TRUE(pattern);
  auto spec = compile_decision_spec(
      {.action = "update_record", .application_param = "application", .step_param = "step"},
      *pattern);
  ASSERT_TRUE(spec) << spec.error().description;
  const policy::DecisionRequest gateway = spec->resolve([](std::string_view name) {
    return name == "application" ? std::string_view("app_1") : std::string_view("stp_2");
  });
  EXPECT_EQ(gateway.action, rule->request.action);
  EXPECT_EQ(gateway.application, rule->request.application);
  EXPECT_EQ(gateway.steps, rule->request.steps);
  EXPECT_EQ(spec->audit_action("gateway"), "gateway.update_record");
}

// Test the decision errors, worded once for both configurations.
TEST(DecisionSpec, BadSpecs) {
  auto pattern = PathPattern::compile("/apps/{app}", {});
  ASSERT_TRUE(pattern);
  const std::vector<std::pair<DecisionSpecInput, std::string>> cases = {
      {{.action = "brew"}, "unknown action \"brew\""},
      {{.action = "authenticated", .application = "app_1"}, "takes no application"},
      {{.action = "read_records", .steps = {"s"}}, "needs application"},
      {{.action = "read_records", .application = "a", .application_param = "app"}, "not both"},
      {{.action = "read_records", .application_param = "nope"}, "\"nope\" is not a parameter"},
      {{.action = "read_records", .application_param = "app"}, "needs steps"},
      {{.action = "create_record", .application = "a", .admin_data = true}, "audit_export only"}};
  for (const auto& [input, expected] : cases) {
    auto spec = compile_decision_spec(input, *pattern);
    ASSERT_FALSE(spec) << expected;
    EXPECT_NE(spec.error().description.find(expected), std::string::npos)
        << spec.error().description;
  }
}

}  // namespace
}  // namespace latchkey::pipeline
