// `latchkey token [--new]`, `latchkey token revoke`, `latchkey me` (seed 000).
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {
namespace {

constexpr char kMePath[] = "/api/v1/account/me";
constexpr char kTokenPath[] = "/api/v1/account/token";

// Prints a token that the server has just accepted: cached (or newly
// issued with --new), then verified with GET /api/v1/account/me, which
// regenerates once on 401 and fails loudly if the new one is refused too.
int print_token(CommandContext& context, bool force_new) {
  return context.with_session([&](Session& session) {
    if (force_new) {
      if (session.account() == nullptr) {
        return report({.kind = client::ErrorKind::kUsage,
                       .description = "--new needs a client id and secret, not --token"},
                      *context.err);
      }
      if (auto fresh = session.account()->refresh(); !fresh) {
        return report(fresh.error(), *context.err);
      }
    }
    if (auto verified = session.client().call("GET", kMePath); !verified) {
      return report(verified.error(), *context.err);
    }
    auto token = session.tokens().get();  // the one just verified
    if (!token) return report(token.error(), *context.err);
    *context.out << token->access_token << "\n";
    return kExitOk;
  });
}

// Revokes the current token without a replacement and forgets it. Never
// regenerates: a fresh token would supersede another process's, only to be
// revoked. A 401 means the token had already ended, which is the goal.
int revoke_token(CommandContext& context) {
  return context.with_session([&](Session& session) {
    auto revoked = session.client().call_once("DELETE", kTokenPath);
    if (!revoked && revoked.error().status != 401) return report(revoked.error(), *context.err);
    if (session.account() != nullptr) {
      if (auto forgotten = session.account()->forget(); !forgotten) {
        *context.err << "latchkey: warning: " << forgotten.error().message() << "\n";
      }
    }
    *context.out << "{\n  \"revoked\": true\n}\n";
    return kExitOk;
  });
}

}  // namespace

void add_account_commands(CLI::App& app, CommandContext& context) {
  auto* token = app.add_subcommand(
      "token",
      "Print a valid access token: the cached one, or a new one from the client id and "
      "secret; verified with GET /api/v1/account/me");
  auto force_new = std::make_shared<bool>(false);
  token->add_flag("--new", *force_new,
                  "issue a new token even if the cached one is valid (this invalidates the "
                  "user's previous token everywhere)");
  token->require_subcommand(0, 1);
  context.on(token, [&context, force_new] { return print_token(context, *force_new); });

  auto* revoke = token->add_subcommand(
      "revoke", "Revoke the current access token without a replacement and clear the cache");
  context.on(revoke, [&context] { return revoke_token(context); });

  auto* me = app.add_subcommand("me", "Show the user the credentials belong to");
  context.on(me, [&context] { return context.call_and_print("GET", kMePath); });
}

}  // namespace latchkey::cli
