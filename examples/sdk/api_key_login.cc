// seed 003 with the latchkey SDK: an API key and a session id log in
// (POST /auth/login) for the session's 2-hour JWT; the same session gets the
// same token while it is valid, a new session id forces a new one.
//
//   LATCHKEY_URL=http://127.0.0.1:8080 LATCHKEY_API_KEY=lk_key_... LATCHKEY_SESSION_ID=worker-7
//   ./sdk_api_key_login
#include "example_env.h"

int main() {
  using namespace latchkey::client;
  const auto url = latchkey_example::require_env("LATCHKEY_URL");
  const auto key = latchkey_example::require_env("LATCHKEY_API_KEY");
  const auto session = latchkey_example::require_env("LATCHKEY_SESSION_ID");
  if (!url || !key || !session) return 2;

  std::shared_ptr<Transport> transport = make_curl_transport();
  auto tokens = std::make_shared<ApiKeyTokenSource>(ApiKeyTokenSourceOptions{
      .base_url = *url, .api_key = *key, .transport = transport, .session_id = *session});
  Client client(*url, transport, tokens);
  return latchkey_example::print_me(client);
}
