// `latchkey users create|list|get|disable|enable|api-access|revoke-tokens|
// invite`: the admin API of docs/api.md ("Users") and the console's
// invitations (docs/console.md).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

constexpr char kUsersPath[] = "/api/v1/users";

std::string user_path(const std::string& id) {
  return std::string(kUsersPath) + "/" + path_segment(id);
}

// Fields shared by the subcommands' parsed arguments; owned by the actions.
struct UserArguments {
  std::string id;
  std::string name;
  std::string type;
  bool api_access = false;
  std::string on_off;
};

void add_id(CLI::App* command, UserArguments& arguments) {
  command->add_option("ID", arguments.id, "user id (usr_...) or me")->required();
}

}  // namespace

void add_user_commands(CLI::App& app, CommandContext& context) {
  auto* users = app.add_subcommand("users", "Manage users and service accounts (admin)");
  users->require_subcommand(1);
  auto arguments = std::make_shared<UserArguments>();

  auto* create = users->add_subcommand("create", "Create a user or service account");
  create->add_option("NAME", arguments->name, "unique name, 1-128 printable characters")
      ->required();
  create->add_option("--type", arguments->type, "human or service")
      ->required()
      ->check(CLI::IsMember({"human", "service"}));
  create->add_flag("--api-access", arguments->api_access,
                   "allow API access (seed 001: off by default, easy to overlook)");
  context.on(create, [&context, arguments] {
    const nlohmann::json body = {{"name", arguments->name},
                                 {"type", arguments->type},
                                 {"api_access", arguments->api_access}};
    return context.call_and_print("POST", kUsersPath, body.dump());
  });

  auto* list = users->add_subcommand("list", "List all users, oldest first");
  context.on(list, [&context] { return context.call_and_print("GET", kUsersPath); });

  auto* get = users->add_subcommand("get", "Show one user");
  add_id(get, *arguments);
  context.on(get, [&context, arguments] {
    return context.call_and_print("GET", user_path(arguments->id));
  });

  auto* disable = users->add_subcommand("disable", "Disable a user (deletes their tokens at once)");
  add_id(disable, *arguments);
  context.on(disable, [&context, arguments] {
    return context.call_and_print("PATCH", user_path(arguments->id), R"({"disabled":true})");
  });

  auto* enable = users->add_subcommand("enable", "Re-enable a user (old tokens stay deleted)");
  add_id(enable, *arguments);
  context.on(enable, [&context, arguments] {
    return context.call_and_print("PATCH", user_path(arguments->id), R"({"disabled":false})");
  });

  auto* api_access = users->add_subcommand("api-access", "Turn a user's API access on or off");
  add_id(api_access, *arguments);
  api_access->add_option("STATE", arguments->on_off, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  context.on(api_access, [&context, arguments] {
    const nlohmann::json body = {{"api_access", arguments->on_off == "on"}};
    return context.call_and_print("PATCH", user_path(arguments->id), body.dump());
  });

  auto* revoke_tokens = users->add_subcommand(
      "revoke-tokens", "Revoke a user's access tokens without issuing a replacement");
  add_id(revoke_tokens, *arguments);
  context.on(revoke_tokens, [&context, arguments] {
    return context.call_and_print("DELETE", user_path(arguments->id) + "/tokens");
  });

  auto* invite = users->add_subcommand(
      "invite", "Invite a person to the web console: prints the one-time link (24 h)");
  add_id(invite, *arguments);
  context.on(invite, [&context, arguments] {
    return context.call_and_print("POST", user_path(arguments->id) + "/invitation");
  });
}

}  // namespace latchkey::cli
