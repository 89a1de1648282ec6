#include "client/internal/token_exchange.h"

#include <nlohmann/json.hpp>

#include "client/internal/server_error.h"

namespace latchkey::client::internal {

std::string trim_trailing_slashes(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

Result<Token> parse_token_response(const HttpResponse& response, std::int64_t requested_at,
                                   TokenResponseShape shape,
                                   std::vector<std::pair<std::string, std::string>>* fields) {
  const auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const auto field = [&json](const char* name) {
    return json.is_object() && json.contains(name) ? json[name] : nlohmann::json();
  };
  const nlohmann::json access_token = field("access_token");
  const nlohmann::json token_type = field("token_type");
  const nlohmann::json expires_in = field("expires_in");
  if (!access_token.is_string() || !is_plausible_token(access_token.get<std::string>())) {
    return std::unexpected(bad_response(response, "the token response has no usable access_token"));
  }
  const bool bearer = token_type.is_string() && (token_type == "bearer" || token_type == "Bearer");
  if ((shape.require_bearer_type || !token_type.is_null()) && !bearer) {
    return std::unexpected(bad_response(response, "the token response is not a bearer token"));
  }
  if (!expires_in.is_number_integer() || expires_in.get<std::int64_t>() < 0) {
    return std::unexpected(bad_response(response, "the token response has no valid expires_in"));
  }
  if (fields != nullptr) {
    for (const auto& [key, value] : json.items()) {
      if (key != "access_token" && value.is_string()) fields->emplace_back(key, value);
    }
  }
  // Measured from before the request, so the expiry is never late.
  return Token{.access_token = access_token.get<std::string>(),
               .expires_at_unix = requested_at + expires_in.get<std::int64_t>(),
               .issued_at_unix = requested_at};
}

}  // namespace latchkey::client::internal
