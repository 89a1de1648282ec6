// `latchkey keys create|list|deactivate|reroll|report|usage`: API keys
// (docs/api-keys.md, seeds 002-004; reroll: docs/rotation.md; usage:
// docs/key-usage.md).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

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
  std::optional<std::int64_t> previous_valid_for;  // reroll: absent = no body
  std::vector<std::string> allowed_origins;        // docs/origin-restrictions.md
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

// docs/rotation.md: the new key is printed once, like `keys create`.
int reroll(CommandContext& context, const KeyArguments& arguments) {
  return context.with_session([&](Session& session) {
    const std::string path = std::string(kKeysPath) + "/" + path_segment(arguments.id) + "/reroll";
    auto response =
        arguments.previous_valid_for
            ? session.client().call(
                  "POST", path,
                  nlohmann::json{{"previous_valid_for_seconds", *arguments.previous_valid_for}}
                      .dump())
            : session.client().call("POST", path);
    if (!response) return report(response.error(), *context.err);
    print_json(*context.out, response->body);
    *context.err << "latchkey: the api_key above is shown only once and cannot be retrieved "
                    "again (seed 002): copy it into a secrets manager now, never into source "
                    "control.\n";
    const auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (json.is_object() && json.contains("previous_key_lapses_at") &&
        json["previous_key_lapses_at"].is_string()) {
      *context.err << "latchkey: the old key (and every token obtained from it) stops working at "
                   << json["previous_key_lapses_at"].get<std::string>() << ".\n";
    }
    return kExitOk;
  });
}

}  // namespace

void add_key_commands(CLI::App& app, CommandContext& context) {
  auto* keys = app.add_subcommand(
      "keys", "Manage API keys (create, list, deactivate, reroll, report, usage)");
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

  auto* reroll_command = keys->add_subcommand(
      "reroll",
      "Replace one of your API keys with a new one (shown once); the old key stops working at "
      "once, or after --previous-valid-for seconds");
  reroll_command->add_option("ID", arguments->id, "key id (key_...)")->required();
  reroll_command
      ->add_option("--previous-valid-for", arguments->previous_valid_for,
                   "seconds the old key keeps working (0 to 604800; default 0)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{604800}));
  context.on(reroll_command, [&context, arguments] { return reroll(context, *arguments); });

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
  // Issue 14 (docs/secret-age.md): secrets and keys due for rotation, keys
  // expiring soon.
  auto* rotation = keys->add_subcommand(
      "rotation-report",
      "The admin rotation report: secrets and keys due for rotation, keys expiring soon");
  rotation->add_flag("--csv", arguments->csv, "CSV instead of JSON");
  context.on(rotation, [&context, arguments] {
    return context.call_and_print(
        "GET", std::string("/api/v1/reports/rotation") + (arguments->csv ? "?format=csv" : ""));
  });
}

}  // namespace latchkey::cli
