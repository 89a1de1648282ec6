// The permission model of seed 001 from the command line (docs/permissions.md):
//   applications create|list|get|add-step
//   permission-sets create|set-step|remove-step|list|get
//   roles create|list|get|delete|add-module|remove-module|add-permission-set|
//         remove-permission-set|grant|revoke
//   entitlements grant|revoke, build-access grant|revoke
//   permissions [USER], authorize ACTION APP [--step S]... [--admin-data]
// Wherever a user types an application, step, permission set, role or user,
// a name works as well as an id (the server resolves names; step names are
// resolved here within the application given).
#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

using Json = nlohmann::json;

std::string segment(const std::string& text) { return path_segment(text); }

struct PolicyArguments {
  std::string name;
  std::string target;  // role / application / set, depending on the command
  std::string user;
  std::string module;
  std::string access;
  std::string application;
  std::string origin_step;
  std::vector<std::string> steps;
  std::vector<std::string> read_steps;
  std::vector<std::string> edit_steps;
  bool origin = false;
  bool admin_data = false;
  bool grants = false;
};

// Prints the server's answer; on a refusal, also prints its body fields as
// JSON on stdout (so scripts can read "reason" of a deny).
int call_print_refusal(CommandContext& context, std::string_view method, const std::string& path,
                       std::string_view body) {
  return context.with_session([&](Session& session) {
    auto response = session.client().call(method, path, body);
    if (!response) {
      const client::ClientError& e = response.error();
      if (e.refused_by_server() && e.status == 403) {
        Json out = {{"error", e.error}, {"error_description", e.description}};
        if (!e.reason.empty()) out["reason"] = e.reason;
        for (const auto& [k, v] : e.details) out[k] = v;
        print_json(*context.out, out.dump());
      }
      return report(e, *context.err);
    }
    print_json(*context.out, response->body);
    return kExitOk;
  });
}

// Steps typed by the user: ids as they are, names looked up in `app`.
client::Result<std::map<std::string, std::string>> step_ids(Session& session,
                                                            const std::string& application) {
  std::map<std::string, std::string> by_name;
  if (application.empty()) return by_name;
  auto response = session.client().call("GET", "/api/v1/applications/" + segment(application));
  if (!response) return std::unexpected(response.error());
  const Json app = Json::parse(response->body, nullptr, false);
  if (app.is_object() && app.contains("steps") && app["steps"].is_array()) {
    for (const Json& step : app["steps"]) {
      if (step.contains("name") && step.contains("id")) {
        by_name[step["name"].get<std::string>()] = step["id"].get<std::string>();
      }
    }
  }
  return by_name;
}

}  // namespace

void add_policy_commands(CLI::App& app, CommandContext& context) {
  auto a = std::make_shared<PolicyArguments>();

  // --- applications --------------------------------------------------------------
  auto* apps = app.add_subcommand("applications", "Applications and their steps (admin)");
  apps->require_subcommand(1);
  auto* app_create = apps->add_subcommand(
      "create", "Create an application with its steps (exactly one origin step)");
  app_create->add_option("NAME", a->name, "unique application name")->required();
  app_create->add_option("--origin-step", a->origin_step, "the origin step's name")->required();
  app_create->add_option("--step", a->steps, "another step's name (repeatable)");
  context.on(app_create, [&context, a] {
    Json steps = Json::array({{{"name", a->origin_step}, {"origin", true}}});
    for (const std::string& s : a->steps) steps.push_back({{"name", s}, {"origin", false}});
    return context.call_and_print("POST", "/api/v1/applications",
                                  Json{{"name", a->name}, {"steps", steps}}.dump());
  });
  auto* app_list = apps->add_subcommand("list", "List applications");
  context.on(app_list,
             [&context] { return context.call_and_print("GET", "/api/v1/applications"); });
  auto* app_get = apps->add_subcommand("get", "Show one application and its steps");
  app_get->add_option("APP", a->target, "application id or name")->required();
  context.on(app_get, [&context, a] {
    return context.call_and_print("GET", "/api/v1/applications/" + segment(a->target));
  });
  auto* app_step = apps->add_subcommand("add-step", "Add a step to an application");
  app_step->add_option("APP", a->target, "application id or name")->required();
  app_step->add_option("NAME", a->name, "step name")->required();
  app_step->add_flag("--origin", a->origin, "the origin step (only if the app has none)");
  context.on(app_step, [&context, a] {
    return context.call_and_print("POST", "/api/v1/applications/" + segment(a->target) + "/steps",
                                  Json{{"name", a->name}, {"origin", a->origin}}.dump());
  });

  // --- permission sets ------------------------------------------------------------
  auto* sets = app.add_subcommand("permission-sets", "Step permission sets (admin)");
  sets->require_subcommand(1);
  auto* set_create =
      sets->add_subcommand("create", "Create a step permission set granting Read or Edit on steps");
  set_create->add_option("NAME", a->name, "unique permission set name")->required();
  set_create->add_option("--application,--app", a->application,
                         "application whose step names --read/--edit use");
  set_create->add_option("--read", a->read_steps, "step (id, or name with --app) to read");
  set_create->add_option("--edit", a->edit_steps, "step (id, or name with --app) to edit");
  context.on(set_create, [&context, a] {
    return context.with_session([&](Session& session) {
      auto names = step_ids(session, a->application);
      if (!names) return report(names.error(), *context.err);
      Json steps = Json::object();
      auto resolve = [&](const std::string& step) {
        auto it = names->find(step);
        return it != names->end() ? it->second : step;
      };
      for (const std::string& s : a->read_steps) steps[resolve(s)] = "read";
      for (const std::string& s : a->edit_steps) steps[resolve(s)] = "edit";
      auto response = session.client().call("POST", "/api/v1/permission-sets",
                                            Json{{"name", a->name}, {"steps", steps}}.dump());
      if (!response) return report(response.error(), *context.err);
      print_json(*context.out, response->body);
      return kExitOk;
    });
  });
  for (const bool set_step : {true, false}) {
    auto* command =
        sets->add_subcommand(set_step ? "set-step" : "remove-step",
                             set_step ? "Grant Read or Edit on one more step (or change it)"
                                      : "Remove one step from a permission set");
    auto args = std::make_shared<PolicyArguments>();
    command->add_option("SET", args->target, "permission set id or name")->required();
    command->add_option("STEP", args->name, "step id, or name with --app")->required();
    if (set_step) {
      command->add_option("ACCESS", args->access, "read or edit")
          ->required()
          ->check(CLI::IsMember({"read", "edit"}));
    }
    command->add_option("--application,--app", args->application,
                        "application whose step name STEP is");
    context.on(command, [&context, args, set_step] {
      return context.with_session([&](Session& session) {
        auto names = step_ids(session, args->application);
        if (!names) return report(names.error(), *context.err);
        auto it = names->find(args->name);
        const std::string step = it != names->end() ? it->second : args->name;
        const std::string path =
            "/api/v1/permission-sets/" + segment(args->target) + "/steps/" + segment(step);
        auto response =
            set_step ? session.client().call("PUT", path, Json{{"access", args->access}}.dump())
                     : session.client().call("DELETE", path, "");
        if (!response) return report(response.error(), *context.err);
        print_json(*context.out, response->body);
        return kExitOk;
      });
    });
  }
  auto* set_list = sets->add_subcommand("list", "List step permission sets");
  context.on(set_list,
             [&context] { return context.call_and_print("GET", "/api/v1/permission-sets"); });
  auto* set_get = sets->add_subcommand("get", "Show one step permission set");
  set_get->add_option("SET", a->target, "permission set id or name")->required();
  context.on(set_get, [&context, a] {
    return context.call_and_print("GET", "/api/v1/permission-sets/" + segment(a->target));
  });

  // --- roles ------------------------------------------------------------------------
  auto* roles = app.add_subcommand("roles", "Roles: modules, permission sets, members (admin)");
  roles->require_subcommand(1);
  auto* role_create = roles->add_subcommand(
      "create", "Create a role, named for the integration (\"Integration: Risk Sync\")");
  role_create->add_option("NAME", a->name, "unique role name")->required();
  context.on(role_create, [&context, a] {
    return context.call_and_print("POST", "/api/v1/roles", Json{{"name", a->name}}.dump());
  });
  auto* role_list = roles->add_subcommand("list", "List roles");
  context.on(role_list, [&context] { return context.call_and_print("GET", "/api/v1/roles"); });
  auto* role_get = roles->add_subcommand("get", "Show one role and its members");
  role_get->add_option("ROLE", a->target, "role id or name")->required();
  context.on(role_get, [&context, a] {
    return context.call_and_print("GET", "/api/v1/roles/" + segment(a->target));
  });
  auto* role_delete = roles->add_subcommand("delete", "Delete a role (members lose it at once)");
  role_delete->add_option("ROLE", a->target, "role id or name")->required();
  context.on(role_delete, [&context, a] {
    return context.call_and_print("DELETE", "/api/v1/roles/" + segment(a->target));
  });
  struct Link {
    const char* name;
    const char* help;
    const char* method;
    const char* collection;
    const char* what;
  };
  for (const Link& link :
       {Link{"add-module", "Attach a module entitlement to a role", "PUT", "modules", "MODULE"},
        Link{"remove-module", "Detach a module from a role", "DELETE", "modules", "MODULE"},
        Link{"add-permission-set", "Attach a step permission set to a role", "PUT",
             "permission-sets", "SET"},
        Link{"remove-permission-set", "Detach a step permission set from a role", "DELETE",
             "permission-sets", "SET"}}) {
    auto* command = roles->add_subcommand(link.name, link.help);
    // Each subcommand has its own argument storage.
    auto args = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("ROLE", args->first, "role id or name")->required();
    command
        ->add_option(link.what, args->second,
                     std::string(link.what) == "MODULE" ? "module, e.g. RECORDS"
                                                        : "permission set id or name")
        ->required();
    context.on(command, [&context, args, link] {
      return context.call_and_print(link.method, "/api/v1/roles/" + segment(args->first) + "/" +
                                                     link.collection + "/" + segment(args->second));
    });
  }
  for (const bool grant : {true, false}) {
    auto* command =
        roles->add_subcommand(grant ? "grant" : "revoke", grant ? "Make a user a member of a role"
                                                                : "Remove a user from a role");
    auto args = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("ROLE", args->first, "role id or name")->required();
    command->add_option("USER", args->second, "user id or name")->required();
    context.on(command, [&context, args, grant] {
      return context.call_and_print(
          grant ? "PUT" : "DELETE",
          "/api/v1/users/" + segment(args->second) + "/roles/" + segment(args->first));
    });
  }

  // --- entitlements and build access ---------------------------------------------------
  auto* entitlements =
      app.add_subcommand("entitlements", "Application entitlements: read or edit (admin)");
  entitlements->require_subcommand(1);
  auto* ent_grant = entitlements->add_subcommand("grant", "Grant (or change) an entitlement");
  ent_grant->add_option("USER", a->user, "user id or name")->required();
  ent_grant->add_option("APP", a->target, "application id or name")->required();
  ent_grant->add_option("ACCESS", a->access, "read or edit")
      ->required()
      ->check(CLI::IsMember({"read", "edit"}));
  context.on(ent_grant, [&context, a] {
    return context.call_and_print(
        "PUT", "/api/v1/users/" + segment(a->user) + "/entitlements/" + segment(a->target),
        Json{{"access", a->access}}.dump());
  });
  auto* ent_revoke = entitlements->add_subcommand("revoke", "Remove an entitlement");
  ent_revoke->add_option("USER", a->user, "user id or name")->required();
  ent_revoke->add_option("APP", a->target, "application id or name")->required();
  context.on(ent_revoke, [&context, a] {
    return context.call_and_print(
        "DELETE", "/api/v1/users/" + segment(a->user) + "/entitlements/" + segment(a->target));
  });

  auto* build = app.add_subcommand("build-access", "Build access per application (admin)");
  build->require_subcommand(1);
  for (const bool grant : {true, false}) {
    auto* command = build->add_subcommand(
        grant ? "grant" : "revoke",
        grant ? "Grant build access (only for integrations that change workflow design)"
              : "Remove build access");
    auto args = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("USER", args->first, "user id or name")->required();
    command->add_option("APP", args->second, "application id or name")->required();
    context.on(command, [&context, args, grant] {
      return context.call_and_print(
          grant ? "PUT" : "DELETE",
          "/api/v1/users/" + segment(args->first) + "/build-access/" + segment(args->second));
    });
  }

  // --- reading and deciding ----------------------------------------------------------------
  auto* permissions = app.add_subcommand(
      "permissions", "Show a user's effective permissions (or, with --grants, what is granted)");
  a->user = "me";
  permissions->add_option("USER", a->user, "user id or name (default: me)");
  permissions->add_flag("--grants", a->grants, "show the grants (roles, entitlements) instead");
  context.on(permissions, [&context, a] {
    return context.call_and_print(
        "GET", "/api/v1/users/" + segment(a->user) + (a->grants ? "/grants" : "/permissions"));
  });

  auto* authorize = app.add_subcommand(
      "authorize", "Ask the server whether the caller may perform ACTION (exit 1 on deny)");
  authorize
      ->add_option("ACTION", a->name,
                   "read_records, create_record, update_record, bulk_import, "
                   "read_table_report, audit_export, modify_application_design")
      ->required();
  authorize->add_option("APP", a->target, "application id or name")->required();
  authorize->add_option("--step", a->steps, "a step (id or name) the action touches (repeatable)");
  authorize->add_flag("--admin-data", a->admin_data, "audit_export covering admin data");
  context.on(authorize, [&context, a] {
    Json body = {{"action", a->name}, {"application", a->target}};
    if (!a->steps.empty()) body["steps"] = a->steps;
    if (a->admin_data) body["admin_data"] = true;
    return call_print_refusal(context, "POST", "/v1/authorize", body.dump());
  });
}

}  // namespace latchkey::cli
