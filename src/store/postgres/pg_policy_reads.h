// Reads of the permission-model tables (pg_schema_policy.cc, migration 301)
// that assemble whole objects: applications with their steps, permission
// sets with their steps, roles with their modules and sets, a user's
// grants. Each runs a few queries on the caller's connection; the caller
// gives them one snapshot (pg_policy_area.h snapshot()) or holds the locks
// that make the result current. Nothing here begins or ends a transaction.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "policy/model.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// `sql` selects (id, name, created_at) of the objects, in the order wanted,
// with at most one text parameter `key`; the objects' parts are read with
// one more query per kind.
Result<std::vector<policy::Application>> select_applications(Connection& c, std::string_view sql,
                                                             std::optional<std::string_view> key);
Result<std::vector<policy::StepPermissionSet>> select_permission_sets(
    Connection& c, std::string_view sql, std::optional<std::string_view> key);
Result<std::vector<policy::Role>> select_roles(Connection& c, std::string_view sql,
                                               std::optional<std::string_view> key);

// Column 0 of every row of `sql` run with text parameters.
Result<std::vector<std::string>> select_texts(Connection& c, std::string_view sql,
                                              std::initializer_list<std::string_view> params);

// Everything granted to the user (user_modules included). Requires the user
// to exist (the caller checks).
Result<policy::UserGrants> select_user_grants(Connection& c, std::string_view user_id);

}  // namespace latchkey::pg
