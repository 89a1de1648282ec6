// PermissionService: admin validation, and decisions served from a cache that
// every change invalidates at once.
#include "authz/permission_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::authz {
namespace {

using policy::Access;
using policy::Action;
using testing::CounterRandom;
using testing::FakeClock;
using testing::TempDir;

class PermissionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    service_ = std::make_unique<PermissionService>(*store_, clock_, random_,
                                                   std::vector<std::string>{"REPORTS_X"});
    admin_ = principal_of(make_user("admin", {"ADMIN"}));
    svc_user_ = make_user("risk-sync", {});
    svc_ = principal_of(svc_user_);

    auto app = service_->create_application(
        admin_, {"Risk Register", {{"Intake", true}, {"Review", false}}});
    ASSERT_TRUE(app) << app.error().description;
    app_ = *app;
    intake_ = app_.steps[0].id;
    review_ = app_.steps[1].id;
    auto set = service_->create_permission_set(
        admin_, {"Risk Sync steps", {{intake_, Access::kEdit}, {review_, Access::kRead}}});
    ASSERT_TRUE(set) << set.error().description;
    set_ = *set;
    auto role = service_->create_role(admin_, {"Integration: Risk Sync", {"RECORDS"}, {}});
    ASSERT_TRUE(role) << role.error().description;
    role_ = *role;
  }

  User make_user(const std::string& name, std::vector<std::string> modules) {
    NewUser u;
    u.id = "usr_" + name;
    u.name = name;
    u.type = UserType::kService;
    u.api_access = true;
    u.modules = std::move(modules);
    u.created_at = clock_.now();
    auto created = store_->create_user(u);
    EXPECT_TRUE(created);
    return created ? *created : User{};
  }

  static Principal principal_of(const User& u) {
    Principal p;
    p.user_id = u.id;
    p.name = u.name;
    p.type = u.type;
    p.api_access = u.api_access;
    p.modules = u.modules;
    return p;
  }

  // Provisions svc_ as the seed's steps 4-9 for "create records".
  void provision() {
    ASSERT_TRUE(service_->add_role_permission_set(admin_, role_.id, set_.id));
    ASSERT_TRUE(service_->grant_entitlement(admin_, svc_.user_id, app_.id, Access::kEdit));
    ASSERT_TRUE(service_->grant_role(admin_, svc_.user_id, role_.id));
  }

  policy::Decision decide(Action action, std::vector<std::string> steps = {},
                          const Principal* who = nullptr) {
    auto outcome =
        service_->decide(who != nullptr ? *who : svc_, {action, app_.id, std::move(steps), false});
    EXPECT_TRUE(outcome) << outcome.error().description;
    return outcome ? outcome->decision : policy::Decision{};
  }

  TempDir dir_;
  FakeClock clock_;
  CounterRandom random_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<PermissionService> service_;
  Principal admin_;
  User svc_user_;
  Principal svc_;
  policy::Application app_;
  std::string intake_, review_;
  policy::StepPermissionSet set_;
  policy::Role role_;
};

// Test that every admin operation is ADMIN only.
TEST_F(PermissionServiceTest, AdminOperationsNeedAdmin) {
  EXPECT_EQ(service_->create_application(svc_, {"X", {{"A", true}}}).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(service_->create_role(svc_, {"R", {}, {}}).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_->create_permission_set(svc_, {"S", {{intake_, Access::kRead}}}).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(service_->grant_role(svc_, svc_.user_id, role_.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_->grant_entitlement(svc_, svc_.user_id, app_.id, Access::kEdit).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(service_->grant_build_access(svc_, svc_.user_id, app_.id).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(service_->list_roles(svc_).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_->effective_permissions(svc_, "usr_admin").error().code, ErrorCode::kForbidden);
  // A user may read their own effective permissions.
  EXPECT_TRUE(service_->effective_permissions(svc_, "me"));
}

// Test validation: names, origins, modules; unknown ids; duplicates.
TEST_F(PermissionServiceTest, Validation) {
  auto code = [](const auto& r) { return r ? ErrorCode::kInternal : r.error().code; };
  EXPECT_EQ(code(service_->create_application(admin_, {"", {{"A", true}}})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_application(admin_, {"Y", {}})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_application(admin_, {"Y", {{"A", false}}})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_application(admin_, {"Y", {{"A", true}, {"B", true}}})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_application(admin_, {"Y", {{"A", true}, {"A", false}}})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_application(admin_, {"Risk Register", {{"A", true}}})),
            ErrorCode::kConflict);
  EXPECT_EQ(code(service_->add_step(admin_, app_.id, {"Other", true})), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->add_step(admin_, "app_nope", {"Other", false})), ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->create_role(admin_, {"Integration: Risk Sync", {}, {}})),
            ErrorCode::kConflict);
  EXPECT_EQ(code(service_->create_role(admin_, {"bad\x01name", {}, {}})),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->add_role_module(admin_, role_.id, "NOT_A_MODULE")),
            ErrorCode::kInvalidRequest);
  EXPECT_TRUE(service_->add_role_module(admin_, role_.id, "reports_x"))
      << "configured extra modules are known (case-insensitively)";
  EXPECT_EQ(code(service_->add_role_module(admin_, "rol_nope", "RECORDS")), ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->add_role_permission_set(admin_, role_.id, "psn_nope")),
            ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->grant_role(admin_, "usr_nope", role_.id)), ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->grant_entitlement(admin_, svc_.user_id, "app_nope", Access::kRead)),
            ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->create_permission_set(admin_, {"S2", {{"stp_nope", Access::kRead}}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(code(service_->create_permission_set(admin_, {"S2", {}})), ErrorCode::kInvalidRequest);
  EXPECT_EQ(code(service_->create_permission_set(admin_,
                                                 {"Risk Sync steps", {{intake_, Access::kRead}}})),
            ErrorCode::kConflict);
}

// Test that names work wherever ids do.
TEST_F(PermissionServiceTest, NamesOrIds) {
  ASSERT_TRUE(
      service_->add_role_permission_set(admin_, "Integration: Risk Sync", "Risk Sync steps"));
  ASSERT_TRUE(service_->grant_entitlement(admin_, "risk-sync", "Risk Register", Access::kEdit));
  ASSERT_TRUE(service_->grant_role(admin_, "risk-sync", "Integration: Risk Sync"));
  auto outcome = service_->decide(svc_, {Action::kReadRecords, "Risk Register", {"Review"}, false});
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->decision.allow) << outcome->decision.reason;
  EXPECT_EQ(outcome->resolved.application, app_.id);
  EXPECT_EQ(outcome->resolved.steps, std::vector<std::string>{review_});
}

// Test that a failing before_apply (the audit hook) stops the change.
TEST_F(PermissionServiceTest, BeforeApplyFailureWritesNothing) {
  auto refuse = []() -> Status { return fail(Error::unavailable("audit store down")); };
  auto r = service_->create_role(admin_, {"Never", {}, {}}, refuse);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(service_->get_role(admin_, "Never").error().code, ErrorCode::kNotFound);
  ASSERT_FALSE(service_->grant_role(admin_, svc_.user_id, role_.id, refuse));
  EXPECT_EQ(service_->is_member(svc_.user_id, role_.id), false);
}

// Test that decisions come from memory after the first one.
TEST_F(PermissionServiceTest, DecisionsAreServedFromTheCache) {
  provision();
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);
  const auto before = service_->cache_stats();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(decide(Action::kCreateRecord).allow);
  const auto after = service_->cache_stats();
  EXPECT_EQ(after.misses, before.misses);
  EXPECT_EQ(after.hits, before.hits + 10);
}

// Test that a change to a role immediately changes its members' decisions
// (cached beforehand): modules, permission sets, deletion.
TEST_F(PermissionServiceTest, RoleChangesInvalidateMembers) {
  provision();
  ASSERT_TRUE(decide(Action::kCreateRecord).allow);
  ASSERT_TRUE(service_->remove_role_module(admin_, role_.id, "RECORDS"));
  auto d = decide(Action::kCreateRecord);
  EXPECT_EQ(d.reason, policy::kReasonModuleMissing);
  EXPECT_EQ(d.module, "RECORDS");
  ASSERT_TRUE(service_->add_role_module(admin_, role_.id, "RECORDS"));
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);
  ASSERT_TRUE(service_->remove_role_permission_set(admin_, role_.id, set_.id));
  EXPECT_EQ(decide(Action::kCreateRecord).reason, policy::kReasonStepPermissionMissing);
  ASSERT_TRUE(service_->add_role_permission_set(admin_, role_.id, set_.id));
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);
  ASSERT_TRUE(service_->delete_role(admin_, role_.id));
  EXPECT_EQ(decide(Action::kCreateRecord).reason, policy::kReasonModuleMissing);
}

// Test that a change to a permission set immediately changes the decisions
// of every member of every role using it.
TEST_F(PermissionServiceTest, PermissionSetChangesInvalidateUsers) {
  provision();
  ASSERT_TRUE(decide(Action::kCreateRecord).allow);
  ASSERT_TRUE(decide(Action::kReadRecords, {review_}).allow);
  auto set = service_->set_permission_set_step(admin_, set_.id, intake_, Access::kRead);
  ASSERT_TRUE(set) << set.error().description;
  EXPECT_EQ(set->steps.at(intake_), Access::kRead);
  auto d = decide(Action::kCreateRecord);
  EXPECT_EQ(d.reason, policy::kReasonStepPermissionMissing);
  EXPECT_EQ(d.required, "edit");
  ASSERT_TRUE(service_->remove_permission_set_step(admin_, set_.id, review_));
  EXPECT_EQ(decide(Action::kReadRecords, {review_}).reason, policy::kReasonStepPermissionMissing);
  ASSERT_TRUE(service_->set_permission_set_step(admin_, "Risk Sync steps", intake_, Access::kEdit));
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);
  EXPECT_EQ(
      service_->set_permission_set_step(admin_, set_.id, "stp_nope", Access::kRead).error().code,
      ErrorCode::kNotFound);
  EXPECT_EQ(service_->set_permission_set_step(svc_, set_.id, intake_, Access::kRead).error().code,
            ErrorCode::kForbidden);
}

// Test that membership, entitlement, build access and user changes each
// invalidate the user's cached permissions.
TEST_F(PermissionServiceTest, UserChangesInvalidate) {
  provision();
  ASSERT_TRUE(decide(Action::kCreateRecord).allow);
  ASSERT_TRUE(service_->grant_entitlement(admin_, svc_.user_id, app_.id, Access::kRead));
  auto d = decide(Action::kCreateRecord);
  EXPECT_EQ(d.reason, policy::kReasonApplicationEntitlementMissing);
  EXPECT_EQ(d.required, "edit");
  ASSERT_TRUE(service_->grant_entitlement(admin_, svc_.user_id, app_.id, Access::kEdit));
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);

  ASSERT_TRUE(service_->revoke_role(admin_, svc_.user_id, role_.id));
  EXPECT_EQ(decide(Action::kCreateRecord).reason, policy::kReasonModuleMissing);
  ASSERT_TRUE(service_->grant_role(admin_, svc_.user_id, role_.id));
  EXPECT_TRUE(decide(Action::kCreateRecord).allow);

  ASSERT_TRUE(service_->add_role_module(admin_, role_.id, "BUILD"));
  EXPECT_EQ(decide(Action::kModifyApplicationDesign).reason, policy::kReasonBuildAccessMissing);
  ASSERT_TRUE(service_->grant_build_access(admin_, svc_.user_id, app_.id));
  EXPECT_TRUE(decide(Action::kModifyApplicationDesign).allow);
  ASSERT_TRUE(service_->revoke_build_access(admin_, svc_.user_id, app_.id));
  EXPECT_EQ(decide(Action::kModifyApplicationDesign).reason, policy::kReasonBuildAccessMissing);

  // A user change (API access off) through the hook UserService calls.
  ASSERT_TRUE(store_->update_user(svc_.user_id, {.api_access = false}, clock_.now()));
  service_->on_user_changed(svc_.user_id);
  EXPECT_EQ(decide(Action::kCreateRecord).reason, policy::kReasonApiAccessDisabled);
}

// Test that a new step is known to decisions at once (catalogue invalidation).
TEST_F(PermissionServiceTest, ApplicationChangesInvalidateTheCatalogue) {
  provision();
  auto unknown = service_->decide(svc_, {Action::kReadRecords, app_.id, {"Approve"}, false});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().reason, policy::kReasonUnknownStep);
  auto step = service_->add_step(admin_, app_.id, {"Approve", false});
  ASSERT_TRUE(step);
  auto d = service_->decide(svc_, {Action::kReadRecords, app_.id, {"Approve"}, false});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->decision.reason, policy::kReasonStepPermissionMissing);
  EXPECT_EQ(d->decision.step, step->id);
}

// Test the client errors of decide.
TEST_F(PermissionServiceTest, DecideClientErrors) {
  auto no_app = service_->decide(svc_, {Action::kReadRecords, "app_nope", {intake_}, false});
  ASSERT_FALSE(no_app);
  EXPECT_EQ(no_app.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(no_app.error().reason, policy::kReasonUnknownApplication);
  auto no_steps = service_->decide(svc_, {Action::kReadRecords, app_.id, {}, false});
  ASSERT_FALSE(no_steps);
  EXPECT_EQ(no_steps.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(no_steps.error().reason, policy::kReasonStepsRequired);
}

// Test API-key restrictions through Principal::key: read-only never writes;
// a role restriction counts only that role, and only while a member.
TEST_F(PermissionServiceTest, KeyRestrictions) {
  provision();
  Principal read_only = svc_;
  read_only.key = KeyGrant{"key_1", "••••abcd", "", true, ""};
  EXPECT_EQ(decide(Action::kCreateRecord, {}, &read_only).reason, policy::kReasonKeyReadOnly);
  EXPECT_TRUE(decide(Action::kReadRecords, {review_}, &read_only).allow);

  Principal scoped = svc_;
  scoped.key = KeyGrant{"key_2", "••••efgh", role_.id, false, ""};
  EXPECT_TRUE(decide(Action::kCreateRecord, {}, &scoped).allow);
  ASSERT_TRUE(service_->revoke_role(admin_, svc_.user_id, role_.id));
  EXPECT_EQ(decide(Action::kCreateRecord, {}, &scoped).reason, policy::kReasonModuleMissing);
  EXPECT_EQ(service_->is_member(svc_.user_id, role_.id), false);
}

// Test the grants listing used by reports.
TEST_F(PermissionServiceTest, GrantsOf) {
  provision();
  auto grants = service_->grants_of(svc_.user_id);
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->roles.size(), 1u);
  EXPECT_EQ(grants->roles[0].name, "Integration: Risk Sync");
  EXPECT_EQ(grants->entitlements.at(app_.id), Access::kEdit);
  auto eff = service_->effective_permissions(svc_.user_id);
  ASSERT_TRUE(eff);
  EXPECT_TRUE(eff->has_module("RECORDS"));
  EXPECT_EQ(eff->step_access(intake_), Access::kEdit);
  EXPECT_EQ(service_->is_member(svc_.user_id, role_.id), true);
}

}  // namespace
}  // namespace latchkey::authz
