#include "store/postgres/pg_policy_reads.h"

#include <map>
#include <utility>

#include "store/postgres/pg_policy_area.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

Result<policy::Access> access_of(std::string_view text) {
  auto access = policy::parse_access(text);
  if (!access) return fail(Error::internal("store: corrupt row: unknown access level"));
  return *access;
}

// The objects' (id, name, created_at) rows, and their ids as an array
// parameter for the queries of their parts.
template <class T>
Result<std::vector<T>> select_heads(Connection& c, std::string_view sql,
                                    std::optional<std::string_view> key) {
  std::vector<Param> params;
  if (key) params.push_back(text(*key));
  auto rows = c.exec(sql, params);
  if (!rows) return fail(rows.error());
  std::vector<T> out(rows->size());
  for (int i = 0; i < rows->size(); ++i) {
    out[i].id = text_at(*rows, i, 0);
    out[i].name = text_at(*rows, i, 1);
    out[i].created_at = instant_at(*rows, i, 2);
  }
  return out;
}

template <class T>
std::map<std::string, T*> by_id(std::vector<T>& objects, std::vector<std::string>& ids) {
  std::map<std::string, T*> index;
  for (T& object : objects) {
    index[object.id] = &object;
    ids.push_back(object.id);
  }
  return index;
}

}  // namespace

Result<std::vector<std::string>> select_texts(Connection& c, std::string_view sql,
                                              std::initializer_list<std::string_view> params) {
  std::vector<Param> values;
  for (std::string_view p : params) values.push_back(text(p));
  auto rows = c.exec(sql, values);
  if (!rows) return fail(rows.error());
  std::vector<std::string> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(text_at(*rows, i, 0));
  return out;
}

Result<std::vector<policy::Application>> select_applications(Connection& c, std::string_view sql,
                                                             std::optional<std::string_view> key) {
  auto apps = select_heads<policy::Application>(c, sql, key);
  if (!apps || apps->empty()) return apps;
  std::vector<std::string> ids;
  auto index = by_id(*apps, ids);
  auto steps = c.exec(
      "SELECT id, application_id, name, origin, created_at FROM steps "
      "WHERE application_id = ANY($1::text[]) ORDER BY created_at, seq",
      {text(array_literal(ids))});
  if (!steps) return fail(steps.error());
  for (int i = 0; i < steps->size(); ++i) {
    policy::Step step{text_at(*steps, i, 0), text_at(*steps, i, 1), text_at(*steps, i, 2),
                      bool_at(*steps, i, 3), instant_at(*steps, i, 4)};
    index.at(step.application_id)->steps.push_back(std::move(step));
  }
  return apps;
}

Result<std::vector<policy::StepPermissionSet>> select_permission_sets(
    Connection& c, std::string_view sql, std::optional<std::string_view> key) {
  auto sets = select_heads<policy::StepPermissionSet>(c, sql, key);
  if (!sets || sets->empty()) return sets;
  std::vector<std::string> ids;
  auto index = by_id(*sets, ids);
  auto steps = c.exec(
      "SELECT set_id, step_id, access FROM permission_set_steps WHERE set_id = ANY($1::text[])",
      {text(array_literal(ids))});
  if (!steps) return fail(steps.error());
  for (int i = 0; i < steps->size(); ++i) {
    auto access = access_of(steps->text(i, 2));
    if (!access) return fail(access.error());
    index.at(text_at(*steps, i, 0))->steps[text_at(*steps, i, 1)] = *access;
  }
  return sets;
}

Result<std::vector<policy::Role>> select_roles(Connection& c, std::string_view sql,
                                               std::optional<std::string_view> key) {
  auto roles = select_heads<policy::Role>(c, sql, key);
  if (!roles || roles->empty()) return roles;
  std::vector<std::string> ids;
  auto index = by_id(*roles, ids);
  const std::vector<Param> params = {text(array_literal(ids))};
  auto modules = c.exec(
      "SELECT role_id, module FROM role_modules WHERE role_id = ANY($1::text[]) "
      "ORDER BY role_id, module",
      params);
  if (!modules) return fail(modules.error());
  for (int i = 0; i < modules->size(); ++i) {
    index.at(text_at(*modules, i, 0))->modules.push_back(text_at(*modules, i, 1));
  }
  auto sets = c.exec(
      "SELECT role_id, set_id FROM role_permission_sets WHERE role_id = ANY($1::text[]) "
      "ORDER BY role_id, set_id",
      params);
  if (!sets) return fail(sets.error());
  for (int i = 0; i < sets->size(); ++i) {
    index.at(text_at(*sets, i, 0))->permission_sets.push_back(text_at(*sets, i, 1));
  }
  return roles;
}

Result<policy::UserGrants> select_user_grants(Connection& c, std::string_view user_id) {
  policy::UserGrants grants;
  grants.user_id = std::string(user_id);
  // user_modules is core's table, without COLLATE "C": sort byte-wise here.
  auto modules = select_texts(
      c, "SELECT module FROM user_modules WHERE user_id = $1 ORDER BY module COLLATE \"C\"",
      {user_id});
  if (!modules) return fail(modules.error());
  grants.direct_modules = std::move(*modules);
  auto roles = select_roles(c,
                            "SELECT r.id, r.name, r.created_at FROM roles r JOIN role_members m "
                            "ON m.role_id = r.id WHERE m.user_id = $1 ORDER BY r.name",
                            user_id);
  if (!roles) return fail(roles.error());
  grants.roles = std::move(*roles);
  auto sets = select_permission_sets(
      c,
      "SELECT s.id, s.name, s.created_at FROM permission_sets s WHERE s.id IN "
      "(SELECT rs.set_id FROM role_permission_sets rs JOIN role_members m "
      "ON m.role_id = rs.role_id WHERE m.user_id = $1) ORDER BY s.name",
      user_id);
  if (!sets) return fail(sets.error());
  grants.permission_sets = std::move(*sets);
  auto entitlements =
      c.exec("SELECT application_id, access FROM application_entitlements WHERE user_id = $1",
             {text(user_id)});
  if (!entitlements) return fail(entitlements.error());
  for (int i = 0; i < entitlements->size(); ++i) {
    auto access = access_of(entitlements->text(i, 1));
    if (!access) return fail(access.error());
    grants.entitlements[text_at(*entitlements, i, 0)] = *access;
  }
  auto build =
      select_texts(c, "SELECT application_id FROM build_access WHERE user_id = $1", {user_id});
  if (!build) return fail(build.error());
  grants.build_access.insert(build->begin(), build->end());
  return grants;
}

}  // namespace latchkey::pg
