// seed 000: exchange Client ID + Secret (HTTP Basic) at
// POST /api/v1/account/token. Caching, refresh and single flight are
// RefreshingTokenSource's.
#include "latchkey/client/account_token_source.h"

#include "client/internal/base64.h"
#include "client/internal/token_exchange.h"

namespace latchkey::client {
namespace {
constexpr std::string_view kTokenPath = "/api/v1/account/token";
}  // namespace

AccountTokenSource::AccountTokenSource(AccountTokenSourceOptions options)
    : RefreshingTokenSource(internal::refresh_settings_of(options)),
      base_url_(internal::trim_trailing_slashes(std::move(options.base_url))),
      credentials_(std::move(options.credentials)),
      transport_(std::move(options.transport)) {}

std::vector<std::string_view> AccountTokenSource::secrets() const {
  return {credentials_.client_secret};
}

Result<Token> AccountTokenSource::exchange() {
  if (credentials_.client_id.empty() || credentials_.client_secret.empty()) {
    return std::unexpected(ClientError{
        .kind = ErrorKind::kUsage,
        .description = "a client id and a client secret are needed to obtain an access token"});
  }
  if (!transport_) {
    return std::unexpected(
        ClientError{.kind = ErrorKind::kUsage, .description = "no transport configured"});
  }
  const HttpRequest request{
      .method = "POST",
      .url = base_url_ + std::string(kTokenPath),
      .headers = {{"Authorization",
                   "Basic " + internal::base64_encode(credentials_.client_id + ":" +
                                                      credentials_.client_secret)},
                  {"Accept", "application/json"}},
  };
  const std::int64_t requested_at = settings().clock();
  auto response = send_exchange(*transport_, request, requested_at);
  if (!response) return std::unexpected(std::move(response.error()));
  return internal::parse_token_response(*response, requested_at, {.require_bearer_type = true});
}

}  // namespace latchkey::client
