// `latchkey audit list|export` and `latchkey users dependents`: the audit
// trail and the "who depends on this account" report (docs/audit.md).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

struct AuditArguments {
  std::string principal;
  std::string since;
  std::string until;
  std::string decision;
  std::string action;
  std::string key;
  std::string cursor;
  int limit = 0;
  std::string format = "jsonl";
  std::string user;
  int days = 0;
};

std::string rfc3339_of_unix(std::int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds t{std::chrono::seconds(seconds)};
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss time{t - day};
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(time.hours().count()),
                static_cast<long long>(time.minutes().count()),
                static_cast<long long>(time.seconds().count()));
  return text;
}

// "24h", "7d", "30m", "90s" -> that long before now, as RFC 3339; anything
// else is passed on as is (an RFC 3339 time; the server checks it).
std::string time_argument(const std::string& text, const CliEnvironment& env) {
  // 1 to 9 digits, then one unit letter. (No std::regex: GCC 12 warns
  // inside it under the sanitizers, and warnings are errors.)
  if (text.size() < 2 || text.size() > 10) return text;
  const std::string digits = text.substr(0, text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return text;
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return text;
  }
  const std::int64_t n = std::stoll(digits);
  const std::int64_t now = env.clock ? env.clock() : client::system_unix_seconds();
  return rfc3339_of_unix(now - n * unit);
}

std::string filter_query(const AuditArguments& a, const CliEnvironment& env) {
  std::string query;
  auto add = [&query](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    query += query.empty() ? "?" : "&";
    query += name;
    query += '=';
    query += path_segment(value);
  };
  add("principal", a.principal);
  add("from", a.since.empty() ? "" : time_argument(a.since, env));
  add("to", a.until.empty() ? "" : time_argument(a.until, env));
  add("decision", a.decision);
  add("action", a.action);
  add("key", a.key);
  add("limit", a.limit > 0 ? std::to_string(a.limit) : "");
  add("cursor", a.cursor);
  return query;
}

void add_filters(CLI::App* command, AuditArguments& a) {
  command->add_option("--principal", a.principal, "only this user id (usr_...)");
  command->add_option("--since", a.since,
                      "from this RFC 3339 time, or this long ago: 30m, 24h, 7d");
  command->add_option("--until", a.until, "before this RFC 3339 time (or 30m, 24h, 7d ago)");
  command->add_option("--decision", a.decision, "allow or deny")
      ->check(CLI::IsMember({"allow", "deny"}));
  command->add_option("--action", a.action,
                      "only this action, or with a trailing * the actions it begins (api_key.*)");
  command->add_option("--key", a.key,
                      "only events whose masked credential contains this (e.g. the last 4 "
                      "characters of a key, a Client ID) or naming this key id");
  command->add_option("--limit", a.limit, "at most this many events");
  command->add_option("--cursor", a.cursor, "continue after a page (next_cursor)");
}

}  // namespace

void add_audit_commands(CLI::App& app, CommandContext& context) {
  auto arguments = std::make_shared<AuditArguments>();
  auto* audit = app.add_subcommand("audit", "Read the audit trail (admin)");
  audit->require_subcommand(1);

  auto* list = audit->add_subcommand("list", "One page of audit events, newest first (JSON)");
  add_filters(list, *arguments);
  context.on(list, [&context, arguments] {
    return context.call_and_print("GET", "/api/v1/audit" + filter_query(*arguments, *context.env));
  });

  auto* export_command =
      audit->add_subcommand("export", "Audit events as JSON Lines or CSV on stdout");
  add_filters(export_command, *arguments);
  export_command->add_option("--format", arguments->format, "jsonl (default) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  context.on(export_command, [&context, arguments] {
    std::string query = filter_query(*arguments, *context.env);
    query += query.empty() ? "?" : "&";
    query += "format=" + arguments->format;
    return context.with_session([&](Session& session) {
      auto response = session.client().call("GET", "/api/v1/audit/export" + query);
      if (!response) return report(response.error(), *context.err);
      *context.out << response->body;
      return kExitOk;
    });
  });

  // `users dependents` belongs with the users commands (registered before
  // this, see cli.cc) but reads the trail.
  CLI::App* users = nullptr;
  try {
    users = app.get_subcommand("users");
  } catch (const CLI::OptionNotFound&) {
  }
  if (users != nullptr) {
    auto* dependents = users->add_subcommand(
        "dependents",
        "Who used this account's credentials lately (IP, User-Agent, X-Integration): check "
        "before rotating its Client Secret");
    dependents->add_option("USER", arguments->user, "user id (usr_...)")->required();
    dependents->add_option("--days", arguments->days, "look back this many days (default 30)");
    context.on(dependents, [&context, arguments] {
      std::string path = "/api/v1/users/" + path_segment(arguments->user) + "/dependents";
      if (arguments->days > 0) path += "?days=" + std::to_string(arguments->days);
      return context.call_and_print("GET", path);
    });
  }
}

}  // namespace latchkey::cli
