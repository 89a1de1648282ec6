#include "latchkey/client/token_source.h"

namespace latchkey::client {

StaticTokenSource::StaticTokenSource(std::string access_token)
    : access_token_(std::move(access_token)) {}

Result<Token> StaticTokenSource::get() {
  if (!is_plausible_token(access_token_)) {
    return std::unexpected(ClientError{.kind = ErrorKind::kUsage,
                                       .description = "the given access token is empty or "
                                                      "contains invalid characters"});
  }
  return Token{access_token_, 0};
}

Result<Token> StaticTokenSource::refresh_after_rejection(std::string_view /*rejected*/) {
  return std::unexpected(ClientError{
      .kind = ErrorKind::kUsage,
      .description = "the given access token was refused and cannot be regenerated without "
                     "a client id and secret"});
}

}  // namespace latchkey::client
