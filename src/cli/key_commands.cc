// `latchkey keys create|list|deactivate|report|usage`: API keys
// (docs/api-keys.md, seeds 002-004; usage: docs/key-usage.md).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/usage_table.h"

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
  std::string granularity;
  std::string from;
  std::string to;
  bool json = false;
};

// GET /api/v1/keys/{id}/usage, as a table (or the JSON answer with --json).
int usage(CommandContext& context, const KeyArguments& arguments) {
  std::string path = std::string(kKeysPath) + "/" + path_segment(arguments.id) + "/usage";
  std::string query;
  auto add = [&query](const char* name, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + path_segment(value);
  };
  add("granularity", arguments.granularity);
  add("from", arguments.from);
  add("to", arguments.to);
  if (arguments.json) return context.call_and_print("GET", path + query);
  return context.with_session([&](Session& session) {
    auto response = session.client().call("GET", path + query);
    if (!response) return report(response.error(), *context.err);
    if (auto table = usage_table(response->body)) {
      *context.out << *table;
    } else {
      print_json(*context.out, response->body);
    }
    return kExitOk;
  });
}

int create(CommandContext& context, const KeyArguments& arguments) {
  return context.with_session([&](Session& session) {
    nlohmann::json body = {
        {"name", arguments.name}, {"expires_in_days", arguments.days}, {"scope", arguments.scope}};
    if (!arguments.role.empty()) body["role"] = arguments.role;
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
  auto* keys =
      app.add_subcommand("keys", "Manage API keys (create, list, deactivate, report, usage)");
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

  auto* usage_command = keys->add_subcommand(
      "usage", "Requests of an API key and its tokens, per hour or day, by route and status class");
  usage_command->add_option("ID", arguments->id, "key id (key_...)")->required();
  usage_command
      ->add_option("--granularity", arguments->granularity,
                   "hour (default: the last 24 hours) or day (default: the last 30 days)")
      ->check(CLI::IsMember({"hour", "day"}));
  usage_command->add_option("--from", arguments->from, "start, RFC 3339 (2026-11-23T00:00:00Z)");
  usage_command->add_option("--to", arguments->to, "end (exclusive), RFC 3339; default: now");
  usage_command->add_flag("--json", arguments->json, "the JSON answer instead of a table");
  context.on(usage_command, [&context, arguments] { return usage(context, *arguments); });
}

}  // namespace latchkey::cli
