#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/output.h"

namespace latchkey::cli {

CliEnvironment process_environment() {
  return CliEnvironment{
      .getenv = [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      .make_transport = [](const client::TransportOptions& options)
          -> std::shared_ptr<client::Transport> { return client::make_curl_transport(options); },
      .clock = client::system_unix_seconds,
  };
}

int run_cli(const std::vector<std::string>& args, const CliEnvironment& env, std::ostream& out,
            std::ostream& err) {
  CLI::App app("latchkey: command-line client of a latchkeyd API access server", "latchkey");
  app.set_version_flag("--version", "latchkey 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  CommandContext context;
  context.env = &env;
  context.out = &out;
  context.err = &err;
  GlobalOptionsBinding globals(app, context.options);
  add_account_commands(app, context);
  add_user_commands(app, context);
  add_access_key_commands(app, context);
  add_audit_commands(app, context);
  add_key_commands(app, context);
  add_origin_commands(app, context);
  add_scan_command(app, context);
  add_policy_commands(app, context);
  add_agent_command(app, context);
  add_event_commands(app, context);

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (auto resolved = globals.resolve(env, err); !resolved) return report(resolved.error(), err);

  const auto chosen = std::find_if(context.actions.rbegin(), context.actions.rend(),
                                   [](const auto& entry) { return entry.first->parsed(); });
  if (chosen == context.actions.rend()) {
    err << app.help();
    return kExitUsage;
  }
  return chosen->second();
}

}  // namespace latchkey::cli
