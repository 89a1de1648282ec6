#include "pipeline/route_rules.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "server/config.h"

namespace latchkey::pipeline {
namespace {

RouteRuleSpec rule(std::string method, std::string path, std::string action) {
  RouteRuleSpec spec;
  spec.method = std::move(method);
  spec.path = std::move(path);
  spec.action = std::move(action);
  return spec;
}

RouteRules compile(const std::vector<RouteRuleSpec>& specs) {
  auto rules = RouteRules::compile(specs);
  EXPECT_TRUE(rules.has_value()) << rules.error().description;
  return rules ? std::move(*rules) : RouteRules();
}

// Test that method and literal segments must match, and that the
// {application} and {step} captures land in the decision request.
TEST(RouteRules, MatchesAndCaptures) {
  const RouteRules rules =
      compile({rule("POST", "/apps/{application}/records", "create_record"),
               rule("PUT", "/apps/{application}/steps/{step}/records/x", "update_record")});
  auto create = rules.match("POST", "/apps/app_1/records?dry_run=1");
  ASSERT_TRUE(create.has_value());
  EXPECT_EQ(create->rule, 0u);
  EXPECT_EQ(create->request.action, policy::Action::kCreateRecord);
  EXPECT_EQ(create->request.application, "app_1");
  EXPECT_TRUE(create->request.steps.empty());

  auto update = rules.match("PUT", "/apps/app_2/steps/stp_9/records/x");
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->rule, 1u);
  EXPECT_EQ(update->request.application, "app_2");
  EXPECT_EQ(update->request.steps, (std::vector<std::string>{"stp_9"}));

  EXPECT_FALSE(rules.match("GET", "/apps/app_1/records").has_value());     // method
  EXPECT_FALSE(rules.match("POST", "/apps/app_1/records/1").has_value());  // longer
  EXPECT_FALSE(rules.match("POST", "/apps/app_1").has_value());            // shorter
  EXPECT_FALSE(rules.match("POST", "/apps//records").has_value());         // empty capture
  EXPECT_FALSE(rules.match("POST", "/application/app_1/records").has_value());
}

// Test that a trailing * matches zero or more segments and "*" any method.
TEST(RouteRules, TrailingWildcardAndAnyMethod) {
  const RouteRules rules = compile({rule("*", "/status/*", "authenticated")});
  EXPECT_TRUE(rules.match("GET", "/status").has_value());
  EXPECT_TRUE(rules.match("DELETE", "/status/a/b/c").has_value());
  auto m = rules.match("PATCH", "/status/x");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->authenticated_only);
  EXPECT_FALSE(rules.match("GET", "/other").has_value());
}

// Test that the first matching rule wins, even when a later one is more
// specific, and that no match at all gives nullopt (the endpoint denies).
TEST(RouteRules, FirstMatchWins) {
  RouteRuleSpec fixed = rule("GET", "/apps/{application}/*", "read_records");
  fixed.steps = {"stp_all"};
  const RouteRules rules =
      compile({fixed, rule("GET", "/apps/{application}/steps/{step}", "read_records")});
  auto m = rules.match("GET", "/apps/app_1/steps/stp_2");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule, 0u);
  EXPECT_EQ(m->request.steps, (std::vector<std::string>{"stp_all"}));
  EXPECT_FALSE(rules.match("GET", "/nothing").has_value());
  EXPECT_FALSE(RouteRules().match("GET", "/apps/app_1").has_value());
}

// Test that a rule may name a fixed application and steps instead of captures.
TEST(RouteRules, FixedApplicationAndSteps) {
  RouteRuleSpec spec = rule("POST", "/import", "bulk_import");
  spec.application = "app_fixed";
  RouteRuleSpec report = rule("GET", "/audit-export", "audit_export");
  report.application = "app_fixed";
  report.steps = {"stp_1", "stp_2"};
  report.admin_data = true;
  const RouteRules rules = compile({spec, report});
  auto m = rules.match("POST", "/import");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->request.application, "app_fixed");
  auto r = rules.match("GET", "/audit-export");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->request.admin_data);
  EXPECT_EQ(r->request.steps, (std::vector<std::string>{"stp_1", "stp_2"}));
}

// Test that paths an upstream could read differently are never matched:
// dot segments, empty segments and encoded separators.
TEST(RouteRules, RefusesAmbiguousPaths) {
  const RouteRules rules = compile({rule("*", "/*", "authenticated")});
  EXPECT_TRUE(rules.match("GET", "/apps/app_1/records").has_value());
  for (const char* path : {"/apps/../admin", "/apps/./x", "/apps//x", "/apps/%2e%2e/admin",
                           "/apps/a%2Fb", "/apps/a%5cb", "relative", ""}) {
    EXPECT_FALSE(rules.match("GET", path).has_value()) << path;
  }
}

// Test that every kind of bad rule is refused with a message naming it.
TEST(RouteRules, RefusesBadRules) {
  struct Case {
    RouteRuleSpec spec;
    std::string message;
  };
  RouteRuleSpec both = rule("POST", "/apps/{application}", "create_record");
  both.application = "app_1";
  RouteRuleSpec admin_data = rule("POST", "/apps/{application}", "create_record");
  admin_data.admin_data = true;
  const std::vector<Case> cases = {
      {rule("FETCH", "/x", "authenticated"), "method must be one of"},
      {rule("get", "/x", "authenticated"), "method must be one of"},
      {rule("GET", "x", "authenticated"), "path must start with '/'"},
      {rule("GET", "/a/*/b", "authenticated"), "'*' may only be the last segment"},
      {rule("GET", "/a/{app}", "authenticated"), "unknown path segment \"{app}\""},
      {rule("GET", "/a/{step}/{step}", "read_records"), "{step} appears twice"},
      {rule("GET", "/a//b", "authenticated"), "empty segment"},
      {rule("GET", "/a/../b", "authenticated"), "dot segments"},
      {rule("GET", "/a", "delete_everything"), "unknown action \"delete_everything\""},
      {rule("POST", "/records", "create_record"), "name the application exactly once"},
      {both, "name the application exactly once"},
      {rule("GET", "/apps/{application}", "read_records"), "needs steps"},
      {rule("GET", "/apps/{application}", "authenticated"), "takes no application"},
      {admin_data, "admin_data applies to audit_export only"},
  };
  for (const Case& c : cases) {
    auto compiled = RouteRules::compile({rule("GET", "/ok", "authenticated"), c.spec});
    ASSERT_FALSE(compiled.has_value()) << c.message;
    EXPECT_EQ(compiled.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(compiled.error().description.find("route_rules[1]: "), std::string::npos)
        << compiled.error().description;
    EXPECT_NE(compiled.error().description.find(c.message), std::string::npos)
        << compiled.error().description;
  }
}

std::string write_config(const std::string& text) {
  const std::string path = "/tmp/latchkey-route-rules-" + std::to_string(::getpid()) + "-" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                           ".toml";
  std::ofstream(path) << text;
  return path;
}

Result<server::ParsedCommandLine> load(const std::string& path) {
  const std::string arg = "--config=" + path;
  const char* argv[] = {"latchkeyd", arg.c_str()};
  auto parsed = server::load_config(2, argv);
  std::remove(path.c_str());
  return parsed;
}

// Test that [[route_rules]] tables are read from the TOML file, in order.
TEST(RouteRulesConfig, ReadsTables) {
  auto parsed = load(write_config(R"toml(
[[route_rules]]
method = "POST"
path = "/apps/{application}/records"
action = "create_record"

[[route_rules]]
method = "GET"
path = "/exports"
action = "audit_export"
application = "app_1"
steps = ["stp_1"]
admin_data = true
)toml"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  const auto& rules = parsed->config.route_rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].path, "/apps/{application}/records");
  EXPECT_EQ(rules[1].steps, (std::vector<std::string>{"stp_1"}));
  EXPECT_TRUE(rules[1].admin_data);
}

// Test that latchkeyd refuses to start with a bad rule, saying which and why.
TEST(RouteRulesConfig, BadRuleRefusedAtStartup) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[[route_rules]]\nmethod = \"GET\"\npath = \"/a\"\naction = \"fly\"\n",
       "route_rules[0]: unknown action \"fly\""},
      {"[[route_rules]]\nmethod = \"GET\"\npath = \"/a\"\n", "route_rules[0]: action is required"},
      {"[[route_rules]]\nmethod = \"GET\"\npath = \"/a\"\naction = \"authenticated\"\nverb = 1\n",
       "route_rules[0]: unknown key \"verb\""},
      {"route_rules = \"all\"\n", "route_rules must be an array of tables"},
      {"[[route_rules]]\nmethod = 1\npath = \"/a\"\naction = \"authenticated\"\n",
       "route_rules[0]: method must be a string"},
  };
  for (const auto& [toml, message] : cases) {
    auto parsed = load(write_config(toml));
    ASSERT_FALSE(parsed.has_value()) << toml;
    EXPECT_NE(parsed.error().description.find(message), std::string::npos)
        << parsed.error().description;
  }
}

// Test that the audit keys are read and validated.
TEST(RouteRulesConfig, AuditKeys) {
  auto parsed = load(write_config("audit_flush_interval_ms = 250\naudit_buffer_size = 10\n"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->config.audit_flush_interval_ms, 250);
  EXPECT_EQ(parsed->config.audit_buffer_size, 10);
  EXPECT_FALSE(load(write_config("audit_buffer_size = 0\n")).has_value());
  EXPECT_FALSE(load(write_config("audit_flush_interval_ms = -1\n")).has_value());
}

// Test that the shipped example (examples/nginx/latchkeyd.toml) loads and
// routes seed 001's "Create new Records" request.
TEST(RouteRulesConfig, ShippedExampleIsValid) {
  const std::string arg =
      std::string("--config=") + LATCHKEY_SOURCE_DIR + "/examples/nginx/latchkeyd.toml";
  const char* argv[] = {"latchkeyd", arg.c_str()};
  auto parsed = server::load_config(2, argv);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  auto rules = RouteRules::compile(parsed->config.route_rules);
  ASSERT_TRUE(rules.has_value());
  auto m = rules->match("POST", "/apps/app_1/records");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->request.action, policy::Action::kCreateRecord);
  EXPECT_FALSE(rules->match("DELETE", "/apps/app_1").has_value());
}

}  // namespace
}  // namespace latchkey::pipeline
