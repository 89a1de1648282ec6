// `latchkey keys create|list|deactivate|report`: API keys (docs/api-keys.md,
// seeds 002-004).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

constexpr char kKeysPath[] = "/api/v1/keys";

struct KeyArguments {
  std::string name;
  int days = 0;
  std::string role;
  std::string scope = "write";
  std::string user;
  bool all = false;
  std::string id;
  bool csv = false;
  std::vector<std::string> allowed_origins;  // docs/origin-restrictions.md
};

int create(CommandContext& context, const KeyArguments& arguments) {
  return context.with_session([&](Session& session) {
    nlohmann::json body = {
        {"name", arguments.name}, {"expires_in_days", arguments.days}, {"scope", arguments.scope}};
    if (!arguments.role.empty()) body["role"] = arguments.role;
    if (!arguments.allowed_origins.empty()) body["allowed_origins"] = arguments.allowed_origins;
    auto response = session.client().call("POST", kKeysPath, body.dump());
    if (!response) return report(response.error(), *context.err);
    print_json(*context.out, response->body);
    *context.err << "latchkey: the api_key above is shown only once and cannot be retrieved "
                    "again (seed 002): copy it into a secrets manager now, never into source "
                    "control.\n";
    return kExitOk;
  });
}

}  // namespace

void add_key_commands(CLI::App& app, CommandContext& context) {
  auto* keys = app.add_subcommand("keys", "Manage API keys (create, list, deactivate, report)");
  keys->require_subcommand(1);
  auto arguments = std::make_shared<KeyArguments>();

  auto* create_command =
      keys->add_subcommand("create", "Create an API key for yourself (shown once)");
  create_command->add_option("NAME", arguments->name, "a descriptive name")->required();
  create_command->add_option("--days", arguments->days, "validity in days, 1 to 365")
      ->required()
      ->check(CLI::Range(1, 365));
  create_command->add_option("--role", arguments->role, "a role you hold (default: all of yours)");
  create_command->add_option("--scope", arguments->scope, "read or write (default: write)")
      ->check(CLI::IsMember({"read", "write"}));
  create_command->add_option("--allow-origin", arguments->allowed_origins,
                             "a CIDR block the key and its tokens may be used from (repeatable; "
                             "default: anywhere)");
  context.on(create_command, [&context, arguments] { return create(context, *arguments); });

  auto* list = keys->add_subcommand("list", "List API keys (masked), oldest first");
  list->add_option("--user", arguments->user, "another user's keys (admin)");
  list->add_flag("--all", arguments->all, "every user's keys (admin)");
  context.on(list, [&context, arguments] {
    std::string path = kKeysPath;
    if (arguments->all) {
      path += "?all=true";
    } else if (!arguments->user.empty()) {
      path += "?user_id=" + path_segment(arguments->user);
    }
    return context.call_and_print("GET", path);
  });

  auto* deactivate = keys->add_subcommand(
      "deactivate", "Deactivate an API key (your own; an admin: any key); idempotent");
  deactivate->add_option("ID", arguments->id, "key id (key_...)")->required();
  context.on(deactivate, [&context, arguments] {
    return context.call_and_print(
        "POST", std::string(kKeysPath) + "/" + path_segment(arguments->id) + "/deactivate");
  });

  auto* report_command =
      keys->add_subcommand("report", "The admin API key report (JSON, or CSV with --csv)");
  report_command->add_flag("--csv", arguments->csv, "CSV instead of JSON");
  context.on(report_command, [&context, arguments] {
    return context.call_and_print(
        "GET", std::string("/api/v1/reports/api-keys") + (arguments->csv ? "?format=csv" : ""));
  });
}

}  // namespace latchkey::cli
