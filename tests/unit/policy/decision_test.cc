// The decision function against seed 001's table of common permission needs.
#include "policy/decision.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latchkey::policy {
namespace {

// One application: Intake (origin) -> Review -> Approve.
Application risk_app() {
  Application app;
  app.id = "app_risk";
  app.name = "Risk Register";
  app.steps = {{"stp_intake", "app_risk", "Intake", true, {}},
               {"stp_review", "app_risk", "Review", false, {}},
               {"stp_approve", "app_risk", "Approve", false, {}}};
  return app;
}

// One piece of a permission grant, as in the seed's table.
struct Piece {
  enum class Kind { kModule, kEntitlement, kBuildAccess, kStep } kind;
  std::string name;  // module, step id; unused for entitlement/build access
  Access access = Access::kNone;
};

Piece module(std::string_view m) { return {Piece::Kind::kModule, std::string(m)}; }
Piece entitlement(Access a) { return {Piece::Kind::kEntitlement, "", a}; }
Piece build_access() { return {Piece::Kind::kBuildAccess, ""}; }
Piece step(std::string_view id, Access a) { return {Piece::Kind::kStep, std::string(id), a}; }

// Grants exactly `pieces`, the way an administrator would: modules and a step
// permission set on one role the user is a member of; entitlement and build
// access on the user.
EffectivePermissions holding(const std::vector<Piece>& pieces) {
  UserGrants grants;
  grants.user_id = "usr_svc";
  Role role{"rol_sync", "Integration: Risk Sync", {}, {"psn_sync"}, {}};
  StepPermissionSet set{"psn_sync", "Risk Sync steps", {}, {}};
  for (const Piece& p : pieces) {
    switch (p.kind) {
      case Piece::Kind::kModule:
        role.modules.push_back(p.name);
        break;
      case Piece::Kind::kEntitlement:
        grants.entitlements["app_risk"] = p.access;
        break;
      case Piece::Kind::kBuildAccess:
        grants.build_access.insert("app_risk");
        break;
      case Piece::Kind::kStep:
        set.steps[p.name] = p.access;
        break;
    }
  }
  grants.roles.push_back(role);
  grants.permission_sets.push_back(set);
  return compute_effective_permissions(grants, /*disabled=*/false, /*api_access=*/true);
}

std::string expected_reason(const Piece& p) {
  switch (p.kind) {
    case Piece::Kind::kModule:
      return std::string(kReasonModuleMissing);
    case Piece::Kind::kEntitlement:
      return std::string(kReasonApplicationEntitlementMissing);
    case Piece::Kind::kBuildAccess:
      return std::string(kReasonBuildAccessMissing);
    case Piece::Kind::kStep:
      return std::string(kReasonStepPermissionMissing);
  }
  return "";
}

struct Row {
  std::string need;  // the seed's wording
  DecisionRequest request;
  std::vector<Piece> exactly;  // the permissions the seed lists
};

// seed 001, "Common Permission Needs", row by row.
std::vector<Row> seed_table() {
  return {
      {"Read Records into a data warehouse: no module; app Read; step set Read on the steps",
       {Action::kReadRecords, "app_risk", {"stp_review", "stp_approve"}, false},
       {entitlement(Access::kRead), step("stp_review", Access::kRead),
        step("stp_approve", Access::kRead)}},
      {"Create new Records: RECORDS; app Edit; Edit on the Origin Step",
       {Action::kCreateRecord, "app_risk", {}, false},
       {module(kModuleRecords), entitlement(Access::kEdit), step("stp_intake", Access::kEdit)}},
      {"Update existing Records: RECORDS; app Edit; Edit on each Step updated",
       {Action::kUpdateRecord, "app_risk", {"stp_review", "stp_approve"}, false},
       {module(kModuleRecords), entitlement(Access::kEdit), step("stp_review", Access::kEdit),
        step("stp_approve", Access::kEdit)}},
      {"Bulk-import Records: IMPORT; app Edit; Edit on the Origin Step",
       {Action::kBulkImport, "app_risk", {}, false},
       {module(kModuleImport), entitlement(Access::kEdit), step("stp_intake", Access::kEdit)}},
      {"Read saved Table Reports: TABLE_REPORTS_READ; app Read; Read on every referenced Step",
       {Action::kReadTableReport, "app_risk", {"stp_intake", "stp_review"}, false},
       {module(kModuleTableReportsRead), entitlement(Access::kRead),
        step("stp_intake", Access::kRead), step("stp_review", Access::kRead)}},
      {"Generate audit exports: STATUS; app Read; Read on the relevant Steps",
       {Action::kAuditExport, "app_risk", {"stp_approve"}, false},
       {module(kModuleStatus), entitlement(Access::kRead), step("stp_approve", Access::kRead)}},
      {"Generate audit exports covering admin data: STATUS and ADMIN; app Read; Read on Steps",
       {Action::kAuditExport, "app_risk", {"stp_approve"}, true},
       {module(kModuleStatus), module(kModuleAdmin), entitlement(Access::kRead),
        step("stp_approve", Access::kRead)}},
      {"Modify Application design: BUILD; app Edit; Build Access; step sets not relevant",
       {Action::kModifyApplicationDesign, "app_risk", {}, false},
       {module(kModuleBuild), entitlement(Access::kEdit), build_access()}},
  };
}

class SeedTableTest : public ::testing::TestWithParam<Row> {};

// Test that each row of the seed's table is allowed with exactly the listed
// permissions.
TEST_P(SeedTableTest, AllowedWithExactlyTheListedPermissions) {
  const Row& row = GetParam();
  const Application app = risk_app();
  const Decision d = decide(holding(row.exactly), &app, row.request);
  EXPECT_TRUE(d.allow) << row.need << ": denied with " << d.reason << " " << d.description;
  EXPECT_TRUE(d.reason.empty());
}

// Test that removing any one listed permission denies the row, with the
// reason naming that permission.
TEST_P(SeedTableTest, DeniedWhenAnyOnePermissionIsRemoved) {
  const Row& row = GetParam();
  const Application app = risk_app();
  for (std::size_t i = 0; i < row.exactly.size(); ++i) {
    std::vector<Piece> fewer = row.exactly;
    const Piece removed = fewer[i];
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    const Decision d = decide(holding(fewer), &app, row.request);
    SCOPED_TRACE(row.need + " without piece #" + std::to_string(i) + " (" + removed.name + ")");
    EXPECT_FALSE(d.allow);
    EXPECT_EQ(d.reason, expected_reason(removed)) << d.description;
    switch (removed.kind) {
      case Piece::Kind::kModule:
        EXPECT_EQ(d.module, removed.name);
        break;
      case Piece::Kind::kEntitlement:
        EXPECT_EQ(d.application, "app_risk");
        EXPECT_EQ(d.required, to_string(removed.access));
        break;
      case Piece::Kind::kBuildAccess:
        EXPECT_EQ(d.application, "app_risk");
        break;
      case Piece::Kind::kStep:
        EXPECT_EQ(d.step, removed.name);
        EXPECT_EQ(d.required, to_string(removed.access));
        break;
    }
  }
}

// Test that an Edit requirement is not met by Read (Edit implies Read, not
// the other way round).
TEST_P(SeedTableTest, DeniedWhenAnEditIsDowngradedToRead) {
  const Row& row = GetParam();
  const Application app = risk_app();
  for (std::size_t i = 0; i < row.exactly.size(); ++i) {
    if (row.exactly[i].access != Access::kEdit) continue;
    std::vector<Piece> weaker = row.exactly;
    weaker[i].access = Access::kRead;
    const Decision d = decide(holding(weaker), &app, row.request);
    SCOPED_TRACE(row.need + " with piece #" + std::to_string(i) + " downgraded to read");
    EXPECT_FALSE(d.allow);
    EXPECT_EQ(d.reason, expected_reason(row.exactly[i]));
    EXPECT_EQ(d.required, "edit");
  }
}

// Test that nothing at all is denied for every row.
TEST_P(SeedTableTest, DeniedWithNoPermissions) {
  const Row& row = GetParam();
  const Application app = risk_app();
  EXPECT_FALSE(decide(holding({}), &app, row.request).allow);
}

INSTANTIATE_TEST_SUITE_P(Seed001, SeedTableTest, ::testing::ValuesIn(seed_table()),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           std::string name(to_string(info.param.request.action));
                           if (info.param.request.admin_data) name += "_admin_data";
                           return name;
                         });

// Test that a principal with no permission set sees no records (seed 001:
// "A service account with no Permission Set sees no Records"), even with an
// Edit entitlement and every module.
TEST(DecisionTest, NoPermissionSetSeesNoRecords) {
  const Application app = risk_app();
  UserGrants grants;
  grants.user_id = "usr_svc";
  grants.direct_modules = {"RECORDS", "IMPORT", "TABLE_REPORTS_READ", "STATUS", "BUILD"};
  grants.entitlements["app_risk"] = Access::kEdit;
  const EffectivePermissions p = compute_effective_permissions(grants, false, true);
  const Decision d = decide(p, &app, {Action::kReadRecords, "app_risk", {"stp_intake"}, false});
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.reason, kReasonStepPermissionMissing);
  EXPECT_EQ(d.step, "stp_intake");
}

// Test that without an application entitlement nothing in the application is
// visible, whatever the step sets say.
TEST(DecisionTest, NoEntitlementSeesNothing) {
  const Application app = risk_app();
  EffectivePermissions p = holding({step("stp_intake", Access::kEdit)});
  const Decision d = decide(p, &app, {Action::kReadRecords, "app_risk", {"stp_intake"}, false});
  EXPECT_EQ(d.reason, kReasonApplicationEntitlementMissing);
  EXPECT_EQ(d.required, "read");
}

// Test that Edit implies Read for entitlements and steps.
TEST(DecisionTest, EditImpliesRead) {
  const Application app = risk_app();
  const Decision d =
      decide(holding({entitlement(Access::kEdit), step("stp_review", Access::kEdit)}), &app,
             {Action::kReadRecords, "app_risk", {"stp_review"}, false});
  EXPECT_TRUE(d.allow) << d.reason;
}

// Test that create_record needs Edit on the origin step, whatever steps the
// request names.
TEST(DecisionTest, CreateRecordChecksTheOriginStepFromTheModel) {
  const Application app = risk_app();
  const EffectivePermissions p = holding(
      {module(kModuleRecords), entitlement(Access::kEdit), step("stp_review", Access::kEdit)});
  const Decision d = decide(p, &app, {Action::kCreateRecord, "app_risk", {"stp_review"}, false});
  EXPECT_EQ(d.reason, kReasonStepPermissionMissing);
  EXPECT_EQ(d.step, "stp_intake");
}

// Test that step access is the strongest over the user's roles.
TEST(DecisionTest, StepAccessIsTheStrongestOverRoles) {
  UserGrants grants;
  grants.user_id = "usr_svc";
  grants.roles = {{"rol_a", "A", {"RECORDS"}, {"psn_read"}, {}},
                  {"rol_b", "B", {}, {"psn_edit"}, {}}};
  grants.permission_sets = {{"psn_read", "read", {{"stp_review", Access::kRead}}, {}},
                            {"psn_edit", "edit", {{"stp_review", Access::kEdit}}, {}}};
  grants.entitlements["app_risk"] = Access::kEdit;
  const EffectivePermissions p = compute_effective_permissions(grants, false, true);
  EXPECT_EQ(p.step_access("stp_review"), Access::kEdit);
  const Application app = risk_app();
  EXPECT_TRUE(decide(p, &app, {Action::kUpdateRecord, "app_risk", {"stp_review"}, false}).allow);
}

// Test that direct module entitlements (User::modules) count like a role's.
TEST(DecisionTest, DirectModulesCount) {
  UserGrants grants;
  grants.user_id = "usr_svc";
  grants.direct_modules = {"RECORDS"};
  grants.roles = {{"rol_a", "A", {}, {"psn"}, {}}};
  grants.permission_sets = {{"psn", "s", {{"stp_intake", Access::kEdit}}, {}}};
  grants.entitlements["app_risk"] = Access::kEdit;
  const EffectivePermissions p = compute_effective_permissions(grants, false, true);
  const Application app = risk_app();
  EXPECT_TRUE(decide(p, &app, {Action::kCreateRecord, "app_risk", {}, false}).allow);
}

// Test that a disabled user and a user without API access are denied first.
TEST(DecisionTest, DisabledAndNoApiAccessAreDenied) {
  const Application app = risk_app();
  const Row row = seed_table()[0];
  EffectivePermissions p = holding(row.exactly);
  p.api_access = false;
  EXPECT_EQ(decide(p, &app, row.request).reason, kReasonApiAccessDisabled);
  p.disabled = true;
  EXPECT_EQ(decide(p, &app, row.request).reason, kReasonUserDisabled);
}

// Test that a read-only key never writes (invariant 4) but still reads.
TEST(DecisionTest, ReadOnlyKeyDeniesEveryWrite) {
  const Application app = risk_app();
  const KeyRestriction read_only{"", true};
  for (const Row& row : seed_table()) {
    const Decision d = decide(holding(row.exactly), &app, row.request, read_only);
    if (is_write(row.request.action)) {
      EXPECT_EQ(d.reason, kReasonKeyReadOnly) << row.need;
    } else {
      EXPECT_TRUE(d.allow) << row.need << ": " << d.reason;
    }
  }
}

// Test that a key with a role counts only that role's modules and sets, and
// nothing once the owner left the role; entitlements stay the owner's.
TEST(DecisionTest, KeyRoleRestrictsToThatRole) {
  const Application app = risk_app();
  UserGrants grants;
  grants.user_id = "usr_svc";
  grants.direct_modules = {"RECORDS"};
  grants.roles = {{"rol_reader", "Reader", {}, {"psn_read"}, {}},
                  {"rol_writer", "Writer", {"RECORDS"}, {"psn_edit"}, {}}};
  grants.permission_sets = {{"psn_read", "r", {{"stp_intake", Access::kRead}}, {}},
                            {"psn_edit", "e", {{"stp_intake", Access::kEdit}}, {}}};
  grants.entitlements["app_risk"] = Access::kEdit;
  const EffectivePermissions p = compute_effective_permissions(grants, false, true);
  const DecisionRequest create{Action::kCreateRecord, "app_risk", {}, false};
  const DecisionRequest read{Action::kReadRecords, "app_risk", {"stp_intake"}, false};

  EXPECT_TRUE(decide(p, &app, create).allow);
  // Under the reader role: no RECORDS (direct modules do not count either).
  const Decision d = decide(p, &app, create, KeyRestriction{"rol_reader", false});
  EXPECT_EQ(d.reason, kReasonModuleMissing);
  EXPECT_TRUE(decide(p, &app, read, KeyRestriction{"rol_reader", false}).allow);
  EXPECT_TRUE(decide(p, &app, create, KeyRestriction{"rol_writer", false}).allow);
  // A role the owner is not a member of grants nothing.
  EXPECT_EQ(decide(p, &app, read, KeyRestriction{"rol_other", false}).reason,
            kReasonStepPermissionMissing);
}

// Test the client errors: unknown application, unknown step, missing steps.
TEST(DecisionTest, BadReferencesAreClientErrors) {
  const Application app = risk_app();
  const EffectivePermissions p = holding(seed_table()[0].exactly);
  Decision d = decide(p, nullptr, {Action::kReadRecords, "app_nope", {"stp_intake"}, false});
  EXPECT_EQ(d.reason, kReasonUnknownApplication);
  EXPECT_TRUE(d.is_client_error());
  // The client's references are named by field, never echoed (issue 13 item 5).
  EXPECT_EQ(d.description.find("app_nope"), std::string::npos) << d.description;
  EXPECT_TRUE(d.application.empty());
  d = decide(p, &app, {Action::kReadRecords, "app_risk", {"stp_intake", "stp_nope"}, false});
  EXPECT_EQ(d.reason, kReasonUnknownStep);
  EXPECT_EQ(d.step, "steps[1]");
  EXPECT_EQ(d.description.find("stp_nope"), std::string::npos) << d.description;
  d = decide(p, &app, {Action::kReadRecords, "app_risk", {}, false});
  EXPECT_EQ(d.reason, kReasonStepsRequired);
  EXPECT_TRUE(d.is_client_error());
}

// Test the wire names of the actions and which of them write.
TEST(DecisionTest, ActionNames) {
  for (Action a : all_actions()) EXPECT_EQ(parse_action(to_string(a)), a);
  EXPECT_EQ(parse_action("read_records"), Action::kReadRecords);
  EXPECT_EQ(parse_action("modify_application_design"), Action::kModifyApplicationDesign);
  EXPECT_FALSE(parse_action("READ_RECORDS"));
  EXPECT_FALSE(parse_action(""));
  EXPECT_TRUE(is_write(Action::kCreateRecord));
  EXPECT_TRUE(is_write(Action::kUpdateRecord));
  EXPECT_TRUE(is_write(Action::kBulkImport));
  EXPECT_TRUE(is_write(Action::kModifyApplicationDesign));
  EXPECT_FALSE(is_write(Action::kReadRecords));
  EXPECT_FALSE(is_write(Action::kReadTableReport));
  EXPECT_FALSE(is_write(Action::kAuditExport));
}

}  // namespace
}  // namespace latchkey::policy
