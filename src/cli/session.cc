#include "cli/session.h"

namespace latchkey::cli {

client::Result<Session> Session::open(const GlobalOptions& options, const CliEnvironment& env,
                                      std::ostream& err) {
  client::TransportOptions transport_options;
  transport_options.verify_tls = !options.insecure;
  transport_options.ca_file = options.cacert;
  transport_options.user_agent = "latchkey-cli/0.1";
  std::shared_ptr<client::Transport> transport = env.make_transport(transport_options);

  Session session;
  session.options_ = options;
  if (!options.token.empty()) {
    session.tokens_ = std::make_shared<client::StaticTokenSource>(options.token);
  } else if (!options.client_id.empty() && !options.client_secret.empty()) {
    std::shared_ptr<client::TokenCache> cache;
    if (!options.token_cache.empty()) {
      cache = std::make_shared<client::FileTokenCache>(options.token_cache);
    }
    session.account_ =
        std::make_shared<client::AccountTokenSource>(client::AccountTokenSourceOptions{
            .base_url = options.url,
            .credentials = {options.client_id, options.client_secret},
            .transport = transport,
            .cache = std::move(cache),
            .clock = env.clock,
            .on_cache_error =
                [&err](const client::ClientError& error) {
                  err << "latchkey: warning: the token was not cached, so the next command "
                         "will regenerate it: "
                      << error.message() << "\n";
                },
        });
    session.tokens_ = session.account_;
  } else {
    return std::unexpected(client::ClientError{
        .kind = client::ErrorKind::kUsage,
        .description = "no credentials: set LATCHKEY_TOKEN (--token), or LATCHKEY_CLIENT_ID and "
                       "LATCHKEY_CLIENT_SECRET (--client-id, --client-secret)"});
  }
  session.client_ = std::make_shared<client::Client>(options.url, transport, session.tokens_);
  return session;
}

}  // namespace latchkey::cli
