// Where a Client gets its bearer token from.
//
// TokenSource is the interface. The sources that exchange a credential for
// a token share refresh, single flight and 429 handling
// (refreshing_token_source.h):
//
//   AccountTokenSource                 Client ID + Secret → POST /api/v1/account/token (seed 000)
//   ApiKeyTokenSource                  API key → POST /v2/auth/token/access (seed 004), or
//                                      API key + session id → POST /auth/login (seed 003)
//   OAuthClientCredentialsTokenSource  Client ID + Secret → POST /oauth/token (RFC 6749 §4.4)
//
// StaticTokenSource hands out one token given by the caller (e.g. from
// LATCHKEY_TOKEN) and cannot obtain another.
//
// All are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/client/error.h"
#include "latchkey/client/retry.h"
#include "latchkey/client/token.h"

namespace latchkey::client {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A token believed to be valid.
  virtual Result<Token> get() = 0;
  // Whether refresh_after_rejection() can ever produce a different token.
  virtual bool can_refresh() const = 0;
  // Called once after the server answered 401 to `rejected`. Returns the
  // token to replay the request with: a newer one that another caller
  // already obtained, else a freshly issued one.
  virtual Result<Token> refresh_after_rejection(std::string_view rejected) = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string access_token);
  // The given token, with expires_at_unix 0 (unknown); fails (kUsage) when
  // it is empty or not plausible as a header value.
  Result<Token> get() override;
  bool can_refresh() const override { return false; }
  // Always fails (ErrorKind::kUsage): a given token cannot be regenerated.
  Result<Token> refresh_after_rejection(std::string_view rejected) override;

 private:
  const std::string access_token_;
};

}  // namespace latchkey::client
