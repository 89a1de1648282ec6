// An API key exchanged at POST /v2/auth/token/access (seed 004) or, with a
// session id, POST /auth/login (seed 003). Caching, refresh and single
// flight are RefreshingTokenSource's.
#include "latchkey/client/api_key_token_source.h"

#include <nlohmann/json.hpp>

#include "client/internal/token_exchange.h"

namespace latchkey::client {

ApiKeyTokenSource::ApiKeyTokenSource(ApiKeyTokenSourceOptions options)
    : RefreshingTokenSource(internal::refresh_settings_of(options)),
      base_url_(internal::trim_trailing_slashes(std::move(options.base_url))),
      api_key_(std::move(options.api_key)),
      session_id_(std::move(options.session_id)),
      endpoint_(session_id_ ? "/auth/login" : "/v2/auth/token/access"),
      transport_(std::move(options.transport)) {}

std::vector<std::string_view> ApiKeyTokenSource::secrets() const { return {api_key_}; }

Result<Token> ApiKeyTokenSource::exchange() {
  if (api_key_.empty()) {
    return std::unexpected(ClientError{.kind = ErrorKind::kUsage,
                                       .description = "an API key is needed to obtain a token"});
  }
  if (!transport_) {
    return std::unexpected(
        ClientError{.kind = ErrorKind::kUsage, .description = "no transport configured"});
  }
  nlohmann::json body = {{"api_key", api_key_}};
  if (session_id_) body["session_id"] = *session_id_;
  const HttpRequest request{
      .method = "POST",
      .url = base_url_ + endpoint_,
      .headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
      .body = body.dump(),
  };
  const std::int64_t requested_at = settings().clock();
  auto response = send_exchange(*transport_, request, requested_at);
  if (!response) return std::unexpected(std::move(response.error()));
  // seed 004 answers {"access_token", "expires_in"}; seed 003 adds
  // "token_type": "Bearer".
  return internal::parse_token_response(*response, requested_at,
                                        {.require_bearer_type = session_id_.has_value()});
}

}  // namespace latchkey::client
