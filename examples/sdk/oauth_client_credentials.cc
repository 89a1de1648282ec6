// OAuth 2.0 client credentials with the latchkey SDK: a Client ID and Secret
// are exchanged at POST /oauth/token (grant_type=client_credentials) for a
// JWT of the requested scope, renewed at 80 % of its lifetime.
//
//   LATCHKEY_URL=http://127.0.0.1:8080 LATCHKEY_CLIENT_ID=cli_... LATCHKEY_CLIENT_SECRET=lk_sec_...
//   [LATCHKEY_SCOPE=read] ./sdk_oauth_client_credentials
#include "example_env.h"

int main() {
  using namespace latchkey::client;
  const auto url = latchkey_example::require_env("LATCHKEY_URL");
  const auto id = latchkey_example::require_env("LATCHKEY_CLIENT_ID");
  const auto secret = latchkey_example::require_env("LATCHKEY_CLIENT_SECRET");
  if (!url || !id || !secret) return 2;

  std::shared_ptr<Transport> transport = make_curl_transport();
  auto tokens = std::make_shared<OAuthClientCredentialsTokenSource>(OAuthClientCredentialsOptions{
      .base_url = *url,
      .credentials = {*id, *secret},
      .transport = transport,
      .scope = latchkey_example::env_or("LATCHKEY_SCOPE", ""),
  });
  Client client(*url, transport, tokens);
  const int status = latchkey_example::print_me(client);
  if (status == 0) std::cerr << "granted scope: " << tokens->granted_scope() << "\n";
  return status;
}
