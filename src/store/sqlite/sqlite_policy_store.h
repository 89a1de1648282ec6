// SqlitePolicyStore: PolicyStore (see policy_store.h) on the shared SQLite Database.
// Each write is one write job (one transaction); reads use one snapshot.
#pragma once

#include "store/policy_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqlitePolicyStore final : public PolicyStore {
 public:
  explicit SqlitePolicyStore(Database& db) : db_(db) {}

  Status create_application(const policy::Application& application) override;
  Status add_step(const policy::Step& step) override;
  Result<std::optional<policy::Application>> get_application(std::string_view id) override;
  Result<std::optional<policy::Application>> find_application_by_name(
      std::string_view name) override;
  Result<std::vector<policy::Application>> list_applications() override;

  Status create_permission_set(const policy::StepPermissionSet& set) override;
  Result<std::optional<policy::StepPermissionSet>> get_permission_set(std::string_view id) override;
  Result<std::optional<policy::StepPermissionSet>> find_permission_set_by_name(
      std::string_view name) override;
  Result<std::vector<policy::StepPermissionSet>> list_permission_sets() override;
  Result<bool> set_permission_set_step(std::string_view set_id, std::string_view step_id,
                                       policy::Access access) override;
  Result<bool> remove_permission_set_step(std::string_view set_id,
                                          std::string_view step_id) override;

  Status create_role(const policy::Role& role) override;
  Result<std::optional<policy::Role>> get_role(std::string_view id) override;
  Result<std::optional<policy::Role>> find_role_by_name(std::string_view name) override;
  Result<std::vector<policy::Role>> list_roles() override;
  Result<std::vector<std::string>> delete_role(std::string_view id) override;
  Result<bool> add_role_module(std::string_view role_id, std::string_view module) override;
  Result<bool> remove_role_module(std::string_view role_id, std::string_view module) override;
  Result<bool> add_role_permission_set(std::string_view role_id, std::string_view set_id) override;
  Result<bool> remove_role_permission_set(std::string_view role_id,
                                          std::string_view set_id) override;

  Result<bool> add_role_member(std::string_view role_id, std::string_view user_id) override;
  Result<bool> remove_role_member(std::string_view role_id, std::string_view user_id) override;
  Result<std::vector<std::string>> role_members(std::string_view role_id) override;
  Result<std::vector<std::string>> roles_using_permission_set(std::string_view set_id) override;

  Result<bool> set_entitlement(std::string_view user_id, std::string_view application_id,
                               policy::Access access) override;
  Result<bool> remove_entitlement(std::string_view user_id,
                                  std::string_view application_id) override;
  Result<bool> grant_build_access(std::string_view user_id,
                                  std::string_view application_id) override;
  Result<bool> revoke_build_access(std::string_view user_id,
                                   std::string_view application_id) override;

  Result<policy::UserGrants> user_grants(std::string_view user_id) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
