// seed 000 with the latchkey SDK: a Client ID and Secret are exchanged for an
// account token (POST /api/v1/account/token), cached with its expiry in a
// file shared by every process of this account, and used for the call.
//
//   LATCHKEY_URL=http://127.0.0.1:8080 LATCHKEY_CLIENT_ID=cli_... LATCHKEY_CLIENT_SECRET=lk_sec_...
//   [LATCHKEY_TOKEN_CACHE=path] ./sdk_account_token
#include "example_env.h"

int main() {
  using namespace latchkey::client;
  const auto url = latchkey_example::require_env("LATCHKEY_URL");
  const auto id = latchkey_example::require_env("LATCHKEY_CLIENT_ID");
  const auto secret = latchkey_example::require_env("LATCHKEY_CLIENT_SECRET");
  if (!url || !id || !secret) return 2;

  std::shared_ptr<Transport> transport = make_curl_transport();
  auto tokens = std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
      .base_url = *url,
      .credentials = {*id, *secret},
      .transport = transport,
      // Every exchange ends the account's other tokens: share the cache.
      .cache = std::make_shared<FileTokenCache>(
          latchkey_example::env_or("LATCHKEY_TOKEN_CACHE", "latchkey-token.json")),
  });
  Client client(*url, transport, tokens);
  return latchkey_example::print_me(client);
}
