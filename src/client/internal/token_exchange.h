// The pieces every token source's exchange() shares: turning its options
// into RefreshSettings, and reading a token response
// ({"access_token", "expires_in", ["token_type"], ...}). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latchkey/client/refreshing_token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client::internal {

// Every source's options struct carries the RefreshSettings fields under
// the same names; this is the one place that copies them.
template <class Options>
RefreshSettings refresh_settings_of(const Options& options) {
  return RefreshSettings{
      .clock = options.clock,
      .cache = options.cache,
      .refresh_at_fraction = options.refresh_at_fraction,
      .expiry_margin_seconds = options.expiry_margin_seconds,
      .retry = options.retry,
      .sleeper = options.sleeper,
      .on_cache_error = options.on_cache_error,
      .on_refresh_error = options.on_refresh_error,
  };
}

std::string trim_trailing_slashes(std::string url);

struct TokenResponseShape {
  bool require_bearer_type = false;  // token_type must be present and "Bearer"
};

// The token of a 200 response, issued at `requested_at`; kBadResponse when
// the body is not the documented shape. `fields` receives the parsed body's
// other string members (e.g. "scope") when non-null.
Result<Token> parse_token_response(
    const HttpResponse& response, std::int64_t requested_at, TokenResponseShape shape,
    std::vector<std::pair<std::string, std::string>>* fields = nullptr);

}  // namespace latchkey::client::internal
