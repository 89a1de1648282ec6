// `latchkey users allow-origins ID CIDR...|--clear` and `latchkey keys
// allow-origins ID CIDR...|--clear`: origin restrictions
// (docs/origin-restrictions.md). The lists show in `users list|get` and
// `keys list` as "allowed_origins".
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

struct OriginArguments {
  std::string id;
  std::vector<std::string> cidrs;
  bool clear = false;
};

CLI::App* existing(CLI::App& app, const char* name) {
  try {
    return app.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    return nullptr;
  }
}

// `allow-origins` under `parent`, PUTting {"cidrs": [...]} to
// <collection>/<id>/allowed-origins.
void add_allow_origins(CLI::App* parent, CommandContext& context, const std::string& collection,
                       const char* what, const char* id_help) {
  auto arguments = std::make_shared<OriginArguments>();
  auto* command = parent->add_subcommand(
      "allow-origins",
      std::string("Restrict where ") + what +
          " may be used from to these CIDR blocks (IPv4/IPv6, at most 64); --clear: anywhere");
  command->add_option("ID", arguments->id, id_help)->required();
  auto* cidrs =
      command->add_option("CIDR", arguments->cidrs, "e.g. 10.0.0.0/8 2001:db8::/32 192.0.2.7");
  auto* clear = command->add_flag("--clear", arguments->clear, "remove the restriction");
  cidrs->excludes(clear);
  context.on(command, [&context, arguments, collection] {
    if (arguments->cidrs.empty() && !arguments->clear) {
      *context.err << "latchkey: name at least one CIDR block, or --clear to allow anywhere\n";
      return kExitUsage;
    }
    const nlohmann::json body = {{"cidrs", arguments->cidrs}};
    return context.call_and_print(
        "PUT", collection + "/" + path_segment(arguments->id) + "/allowed-origins", body.dump());
  });
}

}  // namespace

void add_origin_commands(CLI::App& app, CommandContext& context) {
  if (CLI::App* users = existing(app, "users")) {
    add_allow_origins(users, context, "/api/v1/users",
                      "a user's Client ID + Secret and their tokens (admin)", "user id (usr_...)");
  }
  if (CLI::App* keys = existing(app, "keys")) {
    add_allow_origins(keys, context, "/api/v1/keys",
                      "an API key and its tokens (your own key; an admin: any)",
                      "key id (key_...)");
  }
}

}  // namespace latchkey::cli
