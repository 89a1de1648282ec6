// seed 000: exchange Client ID + Secret for an access token, cache it with
// its expiry, re-use it, and regenerate only when it is missing, expiring or
// refused.
#include <chrono>
#include <nlohmann/json.hpp>

#include "client/internal/base64.h"
#include "client/internal/redact.h"
#include "client/internal/server_error.h"
#include "latchkey/client/token_source.h"

namespace latchkey::client {
namespace {

constexpr std::string_view kTokenPath = "/api/v1/account/token";

std::string trim_trailing_slashes(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

std::int64_t system_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AccountTokenSource::AccountTokenSource(AccountTokenSourceOptions options)
    : options_(std::move(options)) {
  options_.base_url = trim_trailing_slashes(std::move(options_.base_url));
  if (!options_.cache) options_.cache = std::make_shared<MemoryTokenCache>();
  if (!options_.clock) options_.clock = system_unix_seconds;
}

bool AccountTokenSource::usable(const Token& token) const {
  return is_plausible_token(token.access_token) &&
         options_.clock() + options_.expiry_margin_seconds < token.expires_at_unix;
}

std::optional<Token> AccountTokenSource::cached_locked() {
  if (current_ && usable(*current_)) return current_;
  if (auto stored = options_.cache->load(); stored && usable(*stored)) {
    current_ = std::move(stored);
    return current_;
  }
  return std::nullopt;
}

Result<Token> AccountTokenSource::get() {
  std::lock_guard lock(mu_);
  if (auto token = cached_locked()) return *token;
  return issue_locked();
}

Result<Token> AccountTokenSource::refresh_after_rejection(std::string_view rejected) {
  std::lock_guard lock(mu_);
  // Another thread, or another process sharing the cache file, may already
  // have replaced the rejected token: use theirs instead of superseding it.
  if (current_ && current_->access_token != rejected && usable(*current_)) return *current_;
  if (auto stored = options_.cache->load();
      stored && stored->access_token != rejected && usable(*stored)) {
    current_ = std::move(stored);
    return *current_;
  }
  return issue_locked();
}

Result<Token> AccountTokenSource::refresh() {
  std::lock_guard lock(mu_);
  return issue_locked();
}

Status AccountTokenSource::forget() {
  std::lock_guard lock(mu_);
  current_.reset();
  return options_.cache->clear();
}

Result<Token> AccountTokenSource::issue_locked() {
  const Credentials& credentials = options_.credentials;
  if (credentials.client_id.empty() || credentials.client_secret.empty()) {
    return std::unexpected(ClientError{
        .kind = ErrorKind::kUsage,
        .description = "a client id and a client secret are needed to obtain an access token"});
  }
  if (!options_.transport) {
    return std::unexpected(
        ClientError{.kind = ErrorKind::kUsage, .description = "no transport configured"});
  }
  HttpRequest request{
      .method = "POST",
      .url = options_.base_url + std::string(kTokenPath),
      .headers = {{"Authorization", "Basic " + internal::base64_encode(credentials.client_id + ":" +
                                                                       credentials.client_secret)},
                  {"Accept", "application/json"}},
  };
  const std::int64_t requested_at = options_.clock();
  auto response = options_.transport->send(request);
  if (!response) {
    ClientError error = std::move(response.error());
    internal::scrub(error, {credentials.client_secret});
    return std::unexpected(std::move(error));
  }
  if (response->status != 200) {
    ClientError error = internal::error_from_response(*response);
    internal::scrub(error, {credentials.client_secret});
    return std::unexpected(std::move(error));
  }

  const auto json = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  const auto field = [&json](const char* name) {
    return json.is_object() && json.contains(name) ? json[name] : nlohmann::json();
  };
  const nlohmann::json access_token = field("access_token");
  const nlohmann::json token_type = field("token_type");
  const nlohmann::json expires_in = field("expires_in");
  if (!access_token.is_string() || !is_plausible_token(access_token.get<std::string>())) {
    return std::unexpected(
        internal::bad_response(*response, "the token response has no usable access_token"));
  }
  if (!token_type.is_string() || (token_type != "bearer" && token_type != "Bearer")) {
    return std::unexpected(
        internal::bad_response(*response, "the token response is not a bearer token"));
  }
  if (!expires_in.is_number_integer() || expires_in.get<std::int64_t>() < 0) {
    return std::unexpected(
        internal::bad_response(*response, "the token response has no valid expires_in"));
  }

  // Measured from before the request, so the cached expiry is never late.
  Token token{access_token.get<std::string>(), requested_at + expires_in.get<std::int64_t>()};
  current_ = token;
  if (auto stored = options_.cache->store(token); !stored && options_.on_cache_error) {
    ClientError error = std::move(stored.error());
    internal::scrub(error, {credentials.client_secret, token.access_token});
    options_.on_cache_error(error);
  }
  return token;
}

}  // namespace latchkey::client
