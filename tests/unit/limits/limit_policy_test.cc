#include "limits/limit_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "metrics/metrics.h"

namespace latchkey::limits {
namespace {

ConfiguredLimitPolicy policy_with_overrides() {
  std::map<std::string, LimitOverride, std::less<>> roles;
  roles["role_batch"] = LimitOverride{600, std::nullopt};
  roles["role_slow"] = LimitOverride{10, 1};
  return ConfiguredLimitPolicy(KeyLimits{60, 5}, std::move(roles),
                               [](std::string_view key_id) -> std::optional<LimitOverride> {
                                 if (key_id == "key_rate") return LimitOverride{1000, std::nullopt};
                                 if (key_id == "key_both") return LimitOverride{7, 2};
                                 return std::nullopt;
                               });
}

// Test the resolution order, field by field: key override > role limit >
// default.
TEST(LimitPolicyTest, KeyOverrideThenRoleThenDefault) {
  const ConfiguredLimitPolicy policy = policy_with_overrides();
  struct Case {
    const char* key;
    const char* role;
    KeyLimits want;
  } cases[] = {
      {"key_plain", "", {60, 5}},              // defaults
      {"key_plain", "role_unknown", {60, 5}},  // a role without limits
      {"key_plain", "role_batch", {600, 5}},   // role's rate, default concurrency
      {"key_plain", "role_slow", {10, 1}},     // role's both
      {"key_rate", "role_slow", {1000, 1}},    // key's rate over role's, role's concurrency
      {"key_both", "role_batch", {7, 2}},      // key's both
      {"key_both", "", {7, 2}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(policy.for_key(c.key, c.role), c.want) << c.key << " " << c.role;
  }
}

// Test that the policy without a lookup or roles gives the defaults.
TEST(LimitPolicyTest, DefaultsOnly) {
  ConfiguredLimitPolicy policy(KeyLimits{}, {});
  EXPECT_EQ(policy.for_key("k", "r"), (KeyLimits{60, 5}));
}

// Test that rejections are counted by limit in the default registry.
TEST(LimitPolicyTest, RejectionsAreCounted) {
  auto& family = metrics::default_registry().counter_family(
      "latchkey_limit_rejections_total", "Requests refused by a limit.", {"limit"});
  const auto before = family.with({"rate"}).value();
  const auto throttled = family.with({"auth_throttle"}).value();
  count_rejection("rate");
  count_rejection("rate");
  count_rejection("auth_throttle");
  EXPECT_EQ(family.with({"rate"}).value(), before + 2);
  EXPECT_EQ(family.with({"auth_throttle"}).value(), throttled + 1);
  EXPECT_NE(
      metrics::default_registry().render().find("latchkey_limit_rejections_total{limit=\"rate\"}"),
      std::string::npos);
}

}  // namespace
}  // namespace latchkey::limits
