// `latchkey agent --config FILE`: runs the token agent in the foreground
// (docs/agent.md). Everything comes from the config file, the credential
// from a file or an environment variable it names: no global option
// applies, and credentials are never taken from a flag.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "cli/commands.h"

namespace latchkey::cli {

void add_agent_command(CLI::App& app, CommandContext& context) {
  auto config_path = std::make_shared<std::string>();
  auto* agent = app.add_subcommand(
      "agent",
      "Run the token agent in the foreground: keep one token fresh and hand it to the "
      "integrations sharing an account through file sinks and a Unix socket (docs/agent.md)");
  agent->add_option("--config", *config_path, "agent configuration (TOML)")->required();
  context.on(agent, [&app, &context, config_path] {
    for (const char* flag : {"--url", "--client-id", "--client-secret", "--token", "--token-cache",
                             "--cacert", "--insecure"}) {
      if (app.get_option(flag)->count() > 0) {
        *context.err << "latchkey: agent: " << flag
                     << " does not apply: the agent takes everything from --config, and its "
                        "credential only from a file or an environment variable named there\n";
        return kExitUsage;
      }
    }
    const CliEnvironment& env = *context.env;
    auto config = agent::load_agent_config(*config_path, env.getenv);
    if (!config) {
      *context.err << "latchkey: agent: " << config.error().description << "\n";
      return kExitUsage;
    }
    return agent::run_agent_until_signalled(
        std::move(*config), agent::AgentEnvironment{.getenv = env.getenv,
                                                    .make_transport = env.make_transport,
                                                    .clock = env.clock,
                                                    .log = context.err});
  });
}

}  // namespace latchkey::cli
