// `latchkey access-key reset [--user ID]`: the seed 000 "Reset Secret Key".
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

int reset(CommandContext& context, const std::string& user) {
  return context.with_session([&](Session& session) {
    const std::string path = "/api/v1/users/" + path_segment(user) + "/access-key";
    auto response = session.client().call("POST", path);
    if (!response) return report(response.error(), *context.err);
    print_json(*context.out, response->body);
    *context.err << "latchkey: the client secret above is shown only once: store it in a "
                    "secrets manager now, never in source control. The current access token "
                    "stays valid until it is regenerated.\n";
    const auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (json.is_object() && json.contains("client_id") && json["client_id"].is_string() &&
        json["client_id"].get<std::string>() == session.options().client_id) {
      *context.err << "latchkey: this replaced the secret this CLI is using: update "
                      "LATCHKEY_CLIENT_SECRET before the cached token needs regenerating.\n";
    }
    return kExitOk;
  });
}

}  // namespace

void add_access_key_commands(CLI::App& app, CommandContext& context) {
  auto* access_key = app.add_subcommand("access-key", "Manage Client ID / Secret credentials");
  access_key->require_subcommand(1);
  auto* reset_command = access_key->add_subcommand(
      "reset",
      "Generate a new Client Secret (and the Client ID on first use); the old secret "
      "stops working at once");
  auto user = std::make_shared<std::string>("me");
  reset_command->add_option("--user", *user, "user id (usr_...); default: me");
  context.on(reset_command, [&context, user] { return reset(context, *user); });
}

}  // namespace latchkey::cli
