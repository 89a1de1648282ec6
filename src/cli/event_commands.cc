// `latchkey events list|redeliver|test`: the webhook outbox
// (docs/webhooks.md). ADMIN only on the server.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

constexpr char kEventsPath[] = "/api/v1/events";

struct EventArguments {
  std::string status;
  int limit = 0;
  std::string cursor;
  std::string id;
};

std::string list_query(const EventArguments& arguments) {
  std::string query;
  auto add = [&](const std::string& name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + name + "=" + path_segment(value);
  };
  if (!arguments.status.empty()) add("status", arguments.status);
  if (arguments.limit > 0) add("limit", std::to_string(arguments.limit));
  if (!arguments.cursor.empty()) add("cursor", arguments.cursor);
  return query;
}

}  // namespace

void add_event_commands(CLI::App& app, CommandContext& context) {
  auto* events =
      app.add_subcommand("events", "Webhook events: list the outbox, redeliver, send a test");
  events->require_subcommand(1);
  auto arguments = std::make_shared<EventArguments>();

  auto* list = events->add_subcommand("list", "One page of webhook events, newest first (JSON)");
  list->add_option("--status", arguments->status, "pending, delivered or dead")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  list->add_option("--limit", arguments->limit, "events per page, 1 to 1000 (default 100)")
      ->check(CLI::Range(1, 1000));
  list->add_option("--cursor", arguments->cursor, "the next_cursor of the previous page");
  context.on(list, [&context, arguments] {
    return context.call_and_print("GET", kEventsPath + list_query(*arguments));
  });

  auto* redeliver = events->add_subcommand(
      "redeliver", "Send an event again (a dead or delivered one; attempts start over)");
  redeliver->add_option("ID", arguments->id, "event id (evt_...)")->required();
  context.on(redeliver, [&context, arguments] {
    return context.call_and_print(
        "POST", std::string(kEventsPath) + "/" + path_segment(arguments->id) + "/redeliver");
  });

  auto* test = events->add_subcommand(
      "test", "Enqueue a webhook.test event, to check the receiver and its signature check");
  context.on(test, [&context] {
    return context.call_and_print("POST", std::string(kEventsPath) + "/test");
  });
}

}  // namespace latchkey::cli
