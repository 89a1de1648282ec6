// `latchkey access-key reset [--user ID] [--previous-valid-for SECONDS]`: the
// seed 000 "Reset Secret Key", optionally with an overlap during which the
// old secret keeps working; `latchkey access-key retire-previous [--user ID]`
// ends that overlap early (docs/rotation.md).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

struct ResetArguments {
  std::string user = "me";
  // Absent: no body, exactly the reset of seed 000.
  std::optional<std::int64_t> previous_valid_for;
};

int reset(CommandContext& context, const ResetArguments& arguments) {
  return context.with_session([&](Session& session) {
    const std::string path = "/api/v1/users/" + path_segment(arguments.user) + "/access-key";
    auto response =
        arguments.previous_valid_for
            ? session.client().call(
                  "POST", path,
                  nlohmann::json{{"previous_valid_for_seconds", *arguments.previous_valid_for}}
                      .dump())
            : session.client().call("POST", path);
    if (!response) return report(response.error(), *context.err);
    print_json(*context.out, response->body);
    *context.err << "latchkey: the client secret above is shown only once: store it in a "
                    "secrets manager now, never in source control. The current access token "
                    "stays valid until it is regenerated.\n";
    const auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (json.is_object() && json.contains("previous_secret_expires_at") &&
        json["previous_secret_expires_at"].is_string()) {
      *context.err << "latchkey: the previous secret keeps working until "
                   << json["previous_secret_expires_at"].get<std::string>()
                   << "; update every holder before then (or retire it early with "
                      "`latchkey access-key retire-previous`).\n";
    }
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
      "stops working at once, or after --previous-valid-for seconds");
  auto arguments = std::make_shared<ResetArguments>();
  reset_command->add_option("--user", arguments->user, "user id (usr_...); default: me");
  reset_command
      ->add_option("--previous-valid-for", arguments->previous_valid_for,
                   "seconds the old secret keeps working (0 to 604800; default: it stops at once)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{604800}));
  context.on(reset_command, [&context, arguments] { return reset(context, *arguments); });

  auto* retire = access_key->add_subcommand(
      "retire-previous", "End the overlap of a reset now: the previous secret stops working");
  auto retire_user = std::make_shared<std::string>("me");
  retire->add_option("--user", *retire_user, "user id (usr_...); default: me");
  context.on(retire, [&context, retire_user] {
    return context.call_and_print(
        "DELETE", "/api/v1/users/" + path_segment(*retire_user) + "/access-key/previous");
  });
}

}  // namespace latchkey::cli
