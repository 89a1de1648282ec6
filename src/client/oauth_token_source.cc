// OAuth 2.0 client credentials at POST /oauth/token (client_secret_basic,
// form body). Caching, refresh and single flight are RefreshingTokenSource's.
#include "latchkey/client/oauth_token_source.h"

#include <cctype>

#include "client/internal/base64.h"
#include "client/internal/token_exchange.h"

namespace latchkey::client {
namespace {

constexpr std::string_view kTokenPath = "/oauth/token";

// application/x-www-form-urlencoded value (RFC 3986 unreserved kept).
std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

OAuthClientCredentialsTokenSource::OAuthClientCredentialsTokenSource(
    OAuthClientCredentialsOptions options)
    : RefreshingTokenSource(internal::refresh_settings_of(options)),
      base_url_(internal::trim_trailing_slashes(std::move(options.base_url))),
      credentials_(std::move(options.credentials)),
      scope_(std::move(options.scope)),
      transport_(std::move(options.transport)) {}

std::vector<std::string_view> OAuthClientCredentialsTokenSource::secrets() const {
  return {credentials_.client_secret};
}

std::string OAuthClientCredentialsTokenSource::granted_scope() const {
  std::lock_guard lock(scope_mu_);
  return granted_scope_;
}

Result<Token> OAuthClientCredentialsTokenSource::exchange() {
  if (credentials_.client_id.empty() || credentials_.client_secret.empty()) {
    return std::unexpected(ClientError{
        .kind = ErrorKind::kUsage,
        .description = "a client id and a client secret are needed to obtain an access token"});
  }
  if (!transport_) {
    return std::unexpected(
        ClientError{.kind = ErrorKind::kUsage, .description = "no transport configured"});
  }
  std::string body = "grant_type=client_credentials";
  if (!scope_.empty()) body += "&scope=" + form_encode(scope_);
  // client_secret_basic: latchkey's ids and secrets need no form-encoding
  // before base64 (docs/oauth.md), but encode anyway as RFC 6749 §2.3.1 says.
  const HttpRequest request{
      .method = "POST",
      .url = base_url_ + std::string(kTokenPath),
      .headers = {{"Authorization",
                   "Basic " + internal::base64_encode(form_encode(credentials_.client_id) + ":" +
                                                      form_encode(credentials_.client_secret))},
                  {"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}},
      .body = std::move(body),
  };
  const std::int64_t requested_at = settings().clock();
  auto response = send_exchange(*transport_, request, requested_at);
  if (!response) return std::unexpected(std::move(response.error()));
  std::vector<std::pair<std::string, std::string>> fields;
  auto token = internal::parse_token_response(*response, requested_at,
                                              {.require_bearer_type = true}, &fields);
  if (token) {
    for (const auto& [key, value] : fields) {
      if (key == "scope") {
        std::lock_guard lock(scope_mu_);
        granted_scope_ = value;
      }
    }
  }
  return token;
}

}  // namespace latchkey::client
