// The `latchkey` subcommands. Each add_*_commands() registers its CLI11
// subcommands on `app` and, for each, an action run after parsing when that
// subcommand was chosen. Actions open a Session from the resolved global
// options, call the server (docs/api.md) and return an exit code.
// Not thread-safe; used once per run_cli().
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "cli/global_options.h"
#include "cli/session.h"

namespace CLI {
class App;
}  // namespace CLI

namespace latchkey::cli {

struct CommandContext {
  GlobalOptions options;  // resolved before any action runs
  const CliEnvironment* env = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // (subcommand, action); the last parsed subcommand with an action runs.
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;

  void on(CLI::App* command, std::function<int()> action) {
    actions.emplace_back(command, std::move(action));
  }
  // Opens a session and runs `body` with it, or reports why it could not.
  int with_session(const std::function<int(Session&)>& body);
  // Calls the server and prints the JSON answer.
  int call_and_print(std::string_view method, const std::string& path, std::string_view body = {});
};

void add_account_commands(CLI::App& app, CommandContext& context);     // token, me
void add_user_commands(CLI::App& app, CommandContext& context);        // users ...
void add_access_key_commands(CLI::App& app, CommandContext& context);  // access-key ...
// audit list|export, users dependents (after add_user_commands)
void add_audit_commands(CLI::App& app, CommandContext& context);
void add_key_commands(CLI::App& app, CommandContext& context);  // keys ...
// users allow-origins, keys allow-origins (after add_user/key_commands)
void add_origin_commands(CLI::App& app, CommandContext& context);
void add_scan_command(CLI::App& app, CommandContext& context);  // scan PATH...
// applications, permission-sets, roles, entitlements, build-access,
// permissions, authorize (docs/permissions.md)
void add_policy_commands(CLI::App& app, CommandContext& context);
void add_agent_command(CLI::App& app, CommandContext& context);  // agent --config FILE
// events list|redeliver|test: the webhook outbox (docs/webhooks.md)
void add_event_commands(CLI::App& app, CommandContext& context);

}  // namespace latchkey::cli
