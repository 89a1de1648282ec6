// Client::call: bearer authentication with seed 000's "Handle 401 with one
// retry, then fail loud".
#include "latchkey/client/client.h"

#include "client/internal/redact.h"
#include "client/internal/send_with_retry.h"
#include "client/internal/server_error.h"
#include "client/internal/token_exchange.h"

namespace latchkey::client {
namespace {

constexpr std::string_view kPersistent401 =
    "the server refused the request with 401 again after a new token was obtained and the "
    "request replayed once. Not retrying.";
// Only account tokens are superseded: say what usually causes it.
constexpr std::string_view kPersistentSupersede =
    "the server refused the request with 401 again after the access token was regenerated "
    "and the request replayed once; another process is probably regenerating the token with "
    "the same client credentials (every POST /api/v1/account/token invalidates all earlier "
    "tokens of the user). Give each integration its own service account, or have one process "
    "issue the token and share it. Not retrying.";

}  // namespace

Client::Client(std::string base_url, std::shared_ptr<Transport> transport,
               std::shared_ptr<TokenSource> tokens, ClientOptions options)
    : base_url_(internal::trim_trailing_slashes(std::move(base_url))),
      transport_(std::move(transport)),
      tokens_(std::move(tokens)),
      options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_unix_seconds;
  if (!options_.sleeper) options_.sleeper = system_sleep;
}

Result<HttpResponse> Client::send_with(std::string_view method, std::string_view path,
                                       std::string_view body, const std::string& token) {
  HttpRequest request{
      .method = std::string(method),
      .url = base_url_ + std::string(path),
      .headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}},
      .body = std::string(body),
  };
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  auto response = internal::send_with_retry(
      *transport_, request,
      {.policy = options_.retry, .sleeper = options_.sleeper, .clock = options_.clock});
  if (!response) internal::scrub(response.error(), {token});
  return response;
}

Result<HttpResponse> Client::call_once(std::string_view method, std::string_view path,
                                       std::string_view body) {
  return perform(method, path, body, /*replay_once_on_401=*/false);
}

Result<HttpResponse> Client::call(std::string_view method, std::string_view path,
                                  std::string_view body) {
  return perform(method, path, body, /*replay_once_on_401=*/true);
}

Result<HttpResponse> Client::perform(std::string_view method, std::string_view path,
                                     std::string_view body, bool replay_once_on_401) {
  if (!transport_ || !tokens_) {
    return std::unexpected(ClientError{.kind = ErrorKind::kUsage,
                                       .description = "the client has no transport or tokens"});
  }
  auto token = tokens_->get();
  if (!token) return std::unexpected(std::move(token.error()));
  std::string sent = token->access_token;  // scrubbed from every error below
  auto response = send_with(method, path, body, sent);
  if (!response) return response;

  if (response->status == 401 && replay_once_on_401 && tokens_->can_refresh()) {
    // Once: regenerate (or pick up a token someone else regenerated), replay.
    auto fresh = tokens_->refresh_after_rejection(token->access_token);
    if (!fresh) return std::unexpected(std::move(fresh.error()));
    response = send_with(method, path, body, fresh->access_token);
    if (!response) return response;
    if (response->status == 401) {
      ClientError error = internal::error_from_response(*response, options_.clock());
      error.kind = ErrorKind::kTokenRejectedAfterRefresh;
      const std::string server_said = error.description;
      error.description =
          std::string(error.reason == "superseded" ? kPersistentSupersede : kPersistent401);
      if (!server_said.empty()) error.description += " The server said: " + server_said;
      internal::scrub(error, {sent, fresh->access_token});
      return std::unexpected(std::move(error));
    }
    sent = fresh->access_token;
  }

  if (response->status < 200 || response->status > 299) {
    ClientError error = internal::error_from_response(*response, options_.clock());
    internal::scrub(error, {sent, token->access_token});
    return std::unexpected(std::move(error));
  }
  return response;
}

}  // namespace latchkey::client
