// PolicyStore conformance (policy_store.h): every backend keeps the
// permission model of seed 001 the same way.
#include <map>
#include <string>
#include <vector>

#include "store/policy_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using policy::Access;

policy::Application risk_app(Instant at) {
  policy::Application app;
  app.id = "app_risk";
  app.name = "Risk Register";
  app.created_at = at;
  app.steps = {{"stp_intake", "app_risk", "Intake", true, at},
               {"stp_review", "app_risk", "Review", false, at}};
  return app;
}

policy::StepPermissionSet sync_set(Instant at) {
  return {"psn_sync",
          "Risk Sync steps",
          {{"stp_intake", Access::kEdit}, {"stp_review", Access::kRead}},
          at};
}

policy::Role sync_role(Instant at) {
  return {"rol_sync", "Integration: Risk Sync", {"RECORDS"}, {"psn_sync"}, at};
}

// Test that an application and its steps round-trip, by id, by name and in
// the list, and survive a reopen.
TEST_P(StoreConformanceTest, PolicyApplicationsRoundTrip) {
  PolicyStore& p = store_->policy();
  ASSERT_TRUE(p.create_application(risk_app(clock_.now())));
  for (int pass = 0; pass < 2; ++pass) {
    auto by_id = store_->policy().get_application("app_risk");
    ASSERT_TRUE(by_id && *by_id);
    EXPECT_EQ((*by_id)->name, "Risk Register");
    ASSERT_EQ((*by_id)->steps.size(), 2u);
    EXPECT_EQ((*by_id)->steps[0].id, "stp_intake");
    EXPECT_TRUE((*by_id)->steps[0].origin);
    EXPECT_FALSE((*by_id)->steps[1].origin);
    EXPECT_EQ((*by_id)->created_at, clock_.now());
    auto by_name = store_->policy().find_application_by_name("Risk Register");
    ASSERT_TRUE(by_name && *by_name);
    EXPECT_EQ((*by_name)->id, "app_risk");
    auto list = store_->policy().list_applications();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    reopen();
  }
  auto missing = store_->policy().get_application("app_nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

// Test the rules on applications and steps: unique names, exactly one origin.
TEST_P(StoreConformanceTest, PolicyApplicationRules) {
  PolicyStore& p = store_->policy();
  ASSERT_TRUE(p.create_application(risk_app(clock_.now())));
  policy::Application dup = risk_app(clock_.now());
  dup.id = "app_other";
  for (auto& s : dup.steps) {
    s.application_id = "app_other";
    s.id += "2";
  }
  auto taken = p.create_application(dup);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  policy::Application no_origin{"app_x", "X", {{"stp_x", "app_x", "A", false, {}}}, {}};
  EXPECT_FALSE(p.create_application(no_origin));
  auto gone = p.get_application("app_x");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);

  auto second_origin = p.add_step({"stp_o2", "app_risk", "Other", true, clock_.now()});
  ASSERT_FALSE(second_origin);
  EXPECT_EQ(second_origin.error().code, ErrorCode::kConflict);
  auto same_name = p.add_step({"stp_r2", "app_risk", "Review", false, clock_.now()});
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().code, ErrorCode::kConflict);
  auto no_app = p.add_step({"stp_z", "app_nope", "Z", false, clock_.now()});
  ASSERT_FALSE(no_app);
  EXPECT_EQ(no_app.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(p.add_step({"stp_approve", "app_risk", "Approve", false, clock_.now()}));
  auto app = p.get_application("app_risk");
  ASSERT_TRUE(app && *app);
  ASSERT_EQ((*app)->steps.size(), 3u);
  EXPECT_EQ((*app)->steps[2].name, "Approve");
}

// Test that permission sets round-trip and reference existing steps only.
TEST_P(StoreConformanceTest, PolicyPermissionSets) {
  PolicyStore& p = store_->policy();
  ASSERT_TRUE(p.create_application(risk_app(clock_.now())));
  ASSERT_TRUE(p.create_permission_set(sync_set(clock_.now())));
  auto set = p.get_permission_set("psn_sync");
  ASSERT_TRUE(set && *set);
  EXPECT_EQ((*set)->steps.at("stp_intake"), Access::kEdit);
  EXPECT_EQ((*set)->steps.at("stp_review"), Access::kRead);
  auto by_name = p.find_permission_set_by_name("Risk Sync steps");
  ASSERT_TRUE(by_name && *by_name);

  policy::StepPermissionSet dup = sync_set(clock_.now());
  dup.id = "psn_dup";
  auto taken = p.create_permission_set(dup);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  policy::StepPermissionSet bad{"psn_bad", "bad", {{"stp_nope", Access::kRead}}, clock_.now()};
  auto unknown = p.create_permission_set(bad);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto list = p.list_permission_sets();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);

  EXPECT_EQ(p.set_permission_set_step("psn_sync", "stp_review", Access::kEdit), true);
  EXPECT_EQ(p.set_permission_set_step("psn_sync", "stp_review", Access::kEdit), false);
  EXPECT_EQ(p.remove_permission_set_step("psn_sync", "stp_intake"), true);
  EXPECT_EQ(p.remove_permission_set_step("psn_sync", "stp_intake"), false);
  auto no_step = p.set_permission_set_step("psn_sync", "stp_nope", Access::kRead);
  ASSERT_FALSE(no_step);
  EXPECT_EQ(no_step.error().code, ErrorCode::kNotFound);
  auto no_set = p.set_permission_set_step("psn_nope", "stp_review", Access::kRead);
  ASSERT_FALSE(no_set);
  EXPECT_EQ(no_set.error().code, ErrorCode::kNotFound);
  reopen();
  set = store_->policy().get_permission_set("psn_sync");
  ASSERT_TRUE(set && *set);
  EXPECT_EQ((*set)->steps, (std::map<std::string, Access>{{"stp_review", Access::kEdit}}));
}

// Test roles: created atomically with modules and sets, links idempotent,
// deletion returns the former members and removes the memberships.
TEST_P(StoreConformanceTest, PolicyRoles) {
  PolicyStore& p = store_->policy();
  make_user("svc");
  ASSERT_TRUE(p.create_application(risk_app(clock_.now())));
  ASSERT_TRUE(p.create_permission_set(sync_set(clock_.now())));

  policy::Role bad{"rol_bad", "bad", {"RECORDS"}, {"psn_nope"}, clock_.now()};
  auto unknown_set = p.create_role(bad);
  ASSERT_FALSE(unknown_set);
  EXPECT_EQ(unknown_set.error().code, ErrorCode::kNotFound);
  auto none = p.get_role("rol_bad");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "a failed create_role wrote its row";

  ASSERT_TRUE(p.create_role(sync_role(clock_.now())));
  policy::Role dup = sync_role(clock_.now());
  dup.id = "rol_dup";
  auto taken = p.create_role(dup);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  auto role = p.find_role_by_name("Integration: Risk Sync");
  ASSERT_TRUE(role && *role);
  EXPECT_EQ((*role)->modules, std::vector<std::string>{"RECORDS"});
  EXPECT_EQ((*role)->permission_sets, std::vector<std::string>{"psn_sync"});

  EXPECT_EQ(p.add_role_module("rol_sync", "IMPORT"), true);
  EXPECT_EQ(p.add_role_module("rol_sync", "IMPORT"), false);
  EXPECT_EQ(p.remove_role_module("rol_sync", "IMPORT"), true);
  EXPECT_EQ(p.remove_role_module("rol_sync", "IMPORT"), false);
  EXPECT_EQ(p.add_role_permission_set("rol_sync", "psn_sync"), false);
  auto no_set = p.add_role_permission_set("rol_sync", "psn_nope");
  ASSERT_FALSE(no_set);
  EXPECT_EQ(no_set.error().code, ErrorCode::kNotFound);
  auto no_role = p.add_role_module("rol_nope", "IMPORT");
  ASSERT_FALSE(no_role);
  EXPECT_EQ(no_role.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.roles_using_permission_set("psn_sync"), std::vector<std::string>{"rol_sync"});

  EXPECT_EQ(p.add_role_member("rol_sync", "usr_svc"), true);
  EXPECT_EQ(p.add_role_member("rol_sync", "usr_svc"), false);
  auto no_user = p.add_role_member("rol_sync", "usr_nope");
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.role_members("rol_sync"), std::vector<std::string>{"usr_svc"});

  auto members = p.delete_role("rol_sync");
  ASSERT_TRUE(members);
  EXPECT_EQ(*members, std::vector<std::string>{"usr_svc"});
  auto grants = p.user_grants("usr_svc");
  ASSERT_TRUE(grants);
  EXPECT_TRUE(grants->roles.empty());
  auto again = p.delete_role("rol_sync");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

// Test entitlements (set, replace, remove) and build access, and that
// user_grants shows one consistent picture of a user.
TEST_P(StoreConformanceTest, PolicyUserGrants) {
  PolicyStore& p = store_->policy();
  make_user("svc");
  ASSERT_TRUE(p.create_application(risk_app(clock_.now())));
  ASSERT_TRUE(p.create_permission_set(sync_set(clock_.now())));
  ASSERT_TRUE(p.create_role(sync_role(clock_.now())));
  ASSERT_TRUE(p.add_role_member("rol_sync", "usr_svc"));

  EXPECT_EQ(p.set_entitlement("usr_svc", "app_risk", Access::kRead), true);
  EXPECT_EQ(p.set_entitlement("usr_svc", "app_risk", Access::kRead), false);
  EXPECT_EQ(p.set_entitlement("usr_svc", "app_risk", Access::kEdit), true);
  auto no_app = p.set_entitlement("usr_svc", "app_nope", Access::kRead);
  ASSERT_FALSE(no_app);
  EXPECT_EQ(no_app.error().code, ErrorCode::kNotFound);
  auto no_user = p.set_entitlement("usr_nope", "app_risk", Access::kRead);
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.grant_build_access("usr_svc", "app_risk"), true);
  EXPECT_EQ(p.grant_build_access("usr_svc", "app_risk"), false);

  auto grants = p.user_grants("usr_svc");
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->roles.size(), 1u);
  EXPECT_EQ(grants->roles[0].id, "rol_sync");
  ASSERT_EQ(grants->permission_sets.size(), 1u);
  EXPECT_EQ(grants->permission_sets[0].steps.size(), 2u);
  EXPECT_EQ(grants->entitlements.at("app_risk"), Access::kEdit);
  EXPECT_TRUE(grants->build_access.contains("app_risk"));

  reopen();
  PolicyStore& q = store_->policy();
  EXPECT_EQ(q.remove_entitlement("usr_svc", "app_risk"), true);
  EXPECT_EQ(q.remove_entitlement("usr_svc", "app_risk"), false);
  EXPECT_EQ(q.revoke_build_access("usr_svc", "app_risk"), true);
  EXPECT_EQ(q.remove_role_member("rol_sync", "usr_svc"), true);
  grants = q.user_grants("usr_svc");
  ASSERT_TRUE(grants);
  EXPECT_TRUE(grants->roles.empty());
  EXPECT_TRUE(grants->permission_sets.empty());
  EXPECT_TRUE(grants->entitlements.empty());
  EXPECT_TRUE(grants->build_access.empty());
  auto nobody = q.user_grants("usr_nope");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace latchkey::testing
