// The latchkey C++ client library. Include this one header.
//
//   auto transport = std::shared_ptr(make_curl_transport());
//   auto tokens = std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
//       .base_url = url, .credentials = {id, secret}, .transport = transport,
//       .cache = std::make_shared<FileTokenCache>(path)});
//   Client client(url, transport, tokens);
//   auto me = client.call("GET", "/api/v1/account/me");
//   if (!me) std::cerr << me.error().message() << "\n";
//
// Client::call adds `Authorization: Bearer <token>` to every request. On a
// 401 it obtains a fresh token once and replays the request once; if the
// replay is refused with 401 again it fails loudly with
// ErrorKind::kTokenRejectedAfterRefresh, never looping (seed 000: "Handle
// 401 with one retry, then fail loud"). A persistent 401 after a successful
// regeneration usually means another process is regenerating the token with
// the same credentials.
//
// A 429 is waited out and the request resent as ClientOptions::retry says
// (retry.h); when the policy gives up the error is ErrorKind::kRateLimited
// with the server's retry_after.
//
// Thread-safe when its Transport and TokenSource are (all the library's are).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "latchkey/client/account_token_source.h"
#include "latchkey/client/api_key_token_source.h"
#include "latchkey/client/error.h"
#include "latchkey/client/oauth_token_source.h"
#include "latchkey/client/refreshing_token_source.h"
#include "latchkey/client/retry.h"
#include "latchkey/client/token.h"
#include "latchkey/client/token_cache.h"
#include "latchkey/client/token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

struct ClientOptions {
  RetryPolicy retry;  // 429 on API calls
  Sleeper sleeper;    // default: system_sleep
  UnixClock clock;    // default: system_unix_seconds (for Retry-After dates)
};

class Client {
 public:
  Client(std::string base_url, std::shared_ptr<Transport> transport,
         std::shared_ptr<TokenSource> tokens, ClientOptions options = {});

  // Sends `method` `path` (e.g. "/api/v1/users") with an optional JSON
  // `body`. Returns the response when its status is 2xx; otherwise an error
  // carrying the server's status, error code, description and reason.
  Result<HttpResponse> call(std::string_view method, std::string_view path,
                            std::string_view body = {});

  // Like call(), but never regenerates the token on 401: for requests that
  // must act on the current token only (revoking it, say), where a fresh
  // token would supersede whatever another process holds.
  Result<HttpResponse> call_once(std::string_view method, std::string_view path,
                                 std::string_view body = {});

  const std::string& base_url() const { return base_url_; }

 private:
  Result<HttpResponse> perform(std::string_view method, std::string_view path,
                               std::string_view body, bool replay_once_on_401);
  Result<HttpResponse> send_with(std::string_view method, std::string_view path,
                                 std::string_view body, const std::string& token);

  const std::string base_url_;
  const std::shared_ptr<Transport> transport_;
  const std::shared_ptr<TokenSource> tokens_;
  ClientOptions options_;
};

}  // namespace latchkey::client
