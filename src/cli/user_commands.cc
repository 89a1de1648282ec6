// `latchkey users create|list|get|update|disable|enable|api-access|
// revoke-tokens|invite`: the admin API of docs/api.md ("Users") and the
// console's invitations (docs/console.md); owners and expiry of service
// accounts in docs/service-accounts.md.
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cli.h"
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
  // Service accounts (docs/service-accounts.md); unset options are not sent.
  std::optional<std::string> owner;
  std::optional<std::string> contact;
  std::optional<std::string> description;
  std::optional<std::string> expires;
  bool no_expiry = false;
};

// --expires DATE: an RFC 3339 time, or a date (YYYY-MM-DD: midnight UTC).
std::string expiry_value(const std::string& text) {
  const bool date_only = text.size() == 10 && text[4] == '-' && text[7] == '-';
  return date_only ? text + "T00:00:00Z" : text;
}

void add_account_options(CLI::App* command, UserArguments& arguments) {
  command->add_option("--owner", arguments.owner,
                      "service accounts: who owns it, a person or team (up to 200 characters)");
  command->add_option("--contact", arguments.contact,
                      "service accounts: how to reach the owner (up to 200 characters)");
  command->add_option("--description", arguments.description,
                      "service accounts: what it is for (up to 1000 characters)");
  command->add_option("--expires", arguments.expires,
                      "service accounts: disabled automatically at this time (YYYY-MM-DD = "
                      "midnight UTC, or RFC 3339)");
}

// The account options that were given, into `body`.
void put_account_fields(nlohmann::json& body, const UserArguments& arguments) {
  if (arguments.owner) body["owner"] = *arguments.owner;
  if (arguments.contact) body["contact"] = *arguments.contact;
  if (arguments.description) body["description"] = *arguments.description;
  if (arguments.expires) body["expires_at"] = expiry_value(*arguments.expires);
  if (arguments.no_expiry) body["expires_at"] = nullptr;
}

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
  add_account_options(create, *arguments);
  context.on(create, [&context, arguments] {
    nlohmann::json body = {{"name", arguments->name},
                           {"type", arguments->type},
                           {"api_access", arguments->api_access}};
    put_account_fields(body, *arguments);
    return context.call_and_print("POST", kUsersPath, body.dump());
  });

  auto* list = users->add_subcommand("list", "List all users, oldest first");
  context.on(list, [&context] { return context.call_and_print("GET", kUsersPath); });

  auto* get = users->add_subcommand("get", "Show one user");
  add_id(get, *arguments);
  context.on(get, [&context, arguments] {
    return context.call_and_print("GET", user_path(arguments->id));
  });

  auto* update = users->add_subcommand(
      "update", "Change a service account's owner, contact, description or expiry");
  add_id(update, *arguments);
  add_account_options(update, *arguments);
  update->add_flag("--no-expiry", arguments->no_expiry, "remove the expiry")
      ->excludes(update->get_option("--expires"));
  context.on(update, [&context, arguments] {
    nlohmann::json body = nlohmann::json::object();
    put_account_fields(body, *arguments);
    if (body.empty()) {
      *context.err << "latchkey users update: nothing to change: give --owner, --contact, "
                      "--description, --expires or --no-expiry\n";
      return kExitUsage;
    }
    return context.call_and_print("PATCH", user_path(arguments->id), body.dump());
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
