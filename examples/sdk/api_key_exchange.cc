// seed 004 with the latchkey SDK: an API key is exchanged for a 15-minute
// JWT (POST /v2/auth/token/access), renewed at 80 % of its lifetime.
//
// Environment (credentials never on the command line):
//   LATCHKEY_URL=http://127.0.0.1:8080
//   LATCHKEY_API_KEY=lk_key_...
// Run: ./sdk_api_key_exchange
#include "example_env.h"

int main() {
  using namespace latchkey::client;
  const auto url = latchkey_example::require_env("LATCHKEY_URL");
  const auto key = latchkey_example::require_env("LATCHKEY_API_KEY");
  if (!url || !key) return 2;

  std::shared_ptr<Transport> transport = make_curl_transport();
  auto tokens = std::make_shared<ApiKeyTokenSource>(
      ApiKeyTokenSourceOptions{.base_url = *url, .api_key = *key, .transport = transport});
  Client client(*url, transport, tokens);
  return latchkey_example::print_me(client);
}
