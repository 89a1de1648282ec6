// A Session is what one CLI command talks to the server with: a transport,
// a token source (the given --token, or an AccountTokenSource over the
// token cache file for --client-id/--client-secret) and a Client that
// retries once on 401. Built from resolved GlobalOptions. Not thread-safe;
// one per command.
#pragma once

#include <memory>
#include <ostream>

#include "cli/cli.h"
#include "cli/global_options.h"
#include "latchkey/client/client.h"

namespace latchkey::cli {

class Session {
 public:
  // Fails with ErrorKind::kUsage when no credentials are configured.
  // Token cache write failures are reported to `err` as warnings.
  static client::Result<Session> open(const GlobalOptions& options, const CliEnvironment& env,
                                      std::ostream& err);

  client::Client& client() { return *client_; }
  client::TokenSource& tokens() { return *tokens_; }
  // Null when a bearer token was given directly (--token).
  client::AccountTokenSource* account() { return account_.get(); }
  const GlobalOptions& options() const { return options_; }

 private:
  Session() = default;

  GlobalOptions options_;
  std::shared_ptr<client::AccountTokenSource> account_;
  std::shared_ptr<client::TokenSource> tokens_;
  std::shared_ptr<client::Client> client_;
};

}  // namespace latchkey::cli
