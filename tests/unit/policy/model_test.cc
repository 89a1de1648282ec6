// The model's values: access levels, modules, effective permissions.
#include "policy/model.h"

#include <gtest/gtest.h>

namespace latchkey::policy {
namespace {

// Test that access levels parse only "read" and "edit" and order as Edit > Read.
TEST(ModelTest, AccessLevels) {
  EXPECT_EQ(parse_access("read"), Access::kRead);
  EXPECT_EQ(parse_access("edit"), Access::kEdit);
  EXPECT_FALSE(parse_access("none"));
  EXPECT_FALSE(parse_access("Edit"));
  EXPECT_TRUE(satisfies(Access::kEdit, Access::kRead));
  EXPECT_FALSE(satisfies(Access::kRead, Access::kEdit));
  EXPECT_FALSE(satisfies(Access::kNone, Access::kRead));
  EXPECT_EQ(strongest(Access::kRead, Access::kEdit), Access::kEdit);
}

// Test the built-in modules and module-name rules.
TEST(ModelTest, Modules) {
  ASSERT_EQ(builtin_modules().size(), 6u);
  EXPECT_EQ(builtin_modules()[0], "RECORDS");
  EXPECT_EQ(builtin_modules()[5], "BUILD");
  EXPECT_TRUE(is_well_formed_module_name("TABLE_REPORTS_READ"));
  EXPECT_FALSE(is_well_formed_module_name("records"));
  EXPECT_FALSE(is_well_formed_module_name("1X"));
  EXPECT_FALSE(is_well_formed_module_name(""));
}

// Test that effective modules are direct ∪ roles' and entitlements stay the user's.
TEST(ModelTest, EffectivePermissionsUnion) {
  UserGrants g;
  g.user_id = "usr_a";
  g.direct_modules = {"ADMIN"};
  g.roles = {{"rol_1", "one", {"RECORDS"}, {"psn_1"}, {}}, {"rol_2", "two", {"BUILD"}, {}, {}}};
  g.permission_sets = {{"psn_1", "s", {{"stp_a", Access::kRead}}, {}}};
  g.entitlements = {{"app_x", Access::kRead}};
  g.build_access = {"app_x"};
  const EffectivePermissions p = compute_effective_permissions(g, false, true);
  EXPECT_EQ(p.modules, (std::set<std::string>{"ADMIN", "BUILD", "RECORDS"}));
  EXPECT_EQ(p.direct_modules, (std::set<std::string>{"ADMIN"}));
  EXPECT_EQ(p.step_access("stp_a"), Access::kRead);
  EXPECT_EQ(p.step_access("stp_b"), Access::kNone);
  EXPECT_EQ(p.entitlement("app_x"), Access::kRead);
  EXPECT_EQ(p.entitlement("app_y"), Access::kNone);
  EXPECT_TRUE(p.build_access.contains("app_x"));
  ASSERT_NE(p.role("rol_1"), nullptr);
  EXPECT_TRUE(p.uses_permission_set("psn_1"));
  EXPECT_FALSE(p.uses_permission_set("psn_2"));
}

// Test that an application finds its origin and steps by id and name.
TEST(ModelTest, ApplicationSteps) {
  Application app{"app_x",
                  "X",
                  {{"stp_1", "app_x", "Intake", true, {}}, {"stp_2", "app_x", "Review", false, {}}},
                  {}};
  ASSERT_NE(app.origin_step(), nullptr);
  EXPECT_EQ(app.origin_step()->id, "stp_1");
  EXPECT_NE(app.find_step("stp_2"), nullptr);
  EXPECT_EQ(app.find_step("stp_3"), nullptr);
  EXPECT_EQ(app.find_step_by_name("Review")->id, "stp_2");
}

}  // namespace
}  // namespace latchkey::policy
