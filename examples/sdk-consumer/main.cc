// Calls a latchkeyd with the installed C++ SDK: GET /healthz without
// credentials, then the seed 000 flow (Client ID + Secret -> bearer token)
// and GET /api/v1/account/me with the token.
//
// Reads LATCHKEY_URL, LATCHKEY_CLIENT_ID and LATCHKEY_CLIENT_SECRET from the
// environment (a secret never belongs on a command line: ps shows it).
#include <latchkey/client/client.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace lk = latchkey::client;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

int main() {
  const std::string url = env("LATCHKEY_URL");
  if (url.empty()) {
    std::cerr
        << "sdk-consumer: set LATCHKEY_URL (and LATCHKEY_CLIENT_ID, LATCHKEY_CLIENT_SECRET)\n";
    return 2;
  }
  std::shared_ptr<lk::Transport> transport = lk::make_curl_transport();

  auto health = transport->send(lk::HttpRequest{.method = "GET", .url = url + "/healthz"});
  if (!health) {
    std::cerr << "sdk-consumer: /healthz: " << health.error().message() << "\n";
    return 1;
  }
  std::cout << "healthz " << health->status << "\n";
  if (health->status != 200) return 1;

  const std::string client_id = env("LATCHKEY_CLIENT_ID");
  if (client_id.empty()) return 0;  // health check only
  auto tokens = std::make_shared<lk::AccountTokenSource>(lk::AccountTokenSourceOptions{
      .base_url = url,
      .credentials = {client_id, env("LATCHKEY_CLIENT_SECRET")},
      .transport = transport,
  });
  lk::Client client(url, transport, tokens);
  auto me = client.call("GET", "/api/v1/account/me");
  if (!me) {
    std::cerr << "sdk-consumer: /api/v1/account/me: " << me.error().message() << "\n";
    return 1;
  }
  std::cout << "me " << me->status << " " << me->body << "\n";
  return 0;
}
