// Refresh at a fraction of the lifetime, single flight, and the one 401
// re-exchange, for every credential-exchanging token source.
#include "latchkey/client/refreshing_token_source.h"

#include <algorithm>
#include <exception>

#include "client/internal/redact.h"
#include "client/internal/send_with_retry.h"
#include "client/internal/server_error.h"

namespace latchkey::client {

// One running exchange; callers that arrive meanwhile wait for its result.
struct RefreshingTokenSource::Flight {
  bool done = false;
  std::optional<Result<Token>> result;
};

RefreshingTokenSource::RefreshingTokenSource(RefreshSettings settings)
    : settings_(std::move(settings)) {
  if (!settings_.clock) settings_.clock = system_unix_seconds;
  if (!settings_.cache) settings_.cache = std::make_shared<MemoryTokenCache>();
  if (!settings_.sleeper) settings_.sleeper = system_sleep;
  if (!settings_.retry.random) settings_.retry.random = system_unit_random;
  if (!(settings_.refresh_at_fraction > 0.0 && settings_.refresh_at_fraction <= 1.0)) {
    settings_.refresh_at_fraction = 0.8;
  }
  settings_.expiry_margin_seconds = std::max<std::int64_t>(0, settings_.expiry_margin_seconds);
}

RefreshingTokenSource::~RefreshingTokenSource() = default;

std::int64_t RefreshingTokenSource::refresh_point(const Token& token) const {
  if (token.issued_at_unix > 0 && token.issued_at_unix < token.expires_at_unix) {
    const auto lifetime = static_cast<double>(token.expires_at_unix - token.issued_at_unix);
    return token.issued_at_unix +
           static_cast<std::int64_t>(lifetime * settings_.refresh_at_fraction);
  }
  // Issue time unknown (an older cache file): only the margin is known.
  return token.expires_at_unix - settings_.expiry_margin_seconds;
}

bool RefreshingTokenSource::usable(const Token& token) const {
  if (!is_plausible_token(token.access_token)) return false;
  const std::int64_t margin =
      std::min(settings_.expiry_margin_seconds, token.expires_at_unix - refresh_point(token));
  return settings_.clock() < token.expires_at_unix - std::max<std::int64_t>(margin, 0);
}

bool RefreshingTokenSource::fresh(const Token& token) const {
  return usable(token) && settings_.clock() < refresh_point(token);
}

std::optional<Token> RefreshingTokenSource::current_locked(bool need_fresh) {
  const auto good = [&](const Token& token) {
    return token.access_token != rejected_ && (need_fresh ? fresh(token) : usable(token));
  };
  if (current_ && good(*current_)) return current_;
  // Another process sharing the cache may have obtained a newer token.
  if (auto stored = settings_.cache->load(); stored && good(*stored)) {
    current_ = std::move(stored);
    return current_;
  }
  return std::nullopt;
}

Result<Token> RefreshingTokenSource::get() {
  std::unique_lock lock(mu_);
  if (auto token = current_locked(/*need_fresh=*/true)) return *token;
  if (settings_.clock() < next_proactive_refresh_) {
    // A proactive refresh failed moments ago: keep the still-valid token
    // rather than send every caller's request into a server that is down.
    if (auto token = current_locked(/*need_fresh=*/false)) return *token;
  }
  if (flight_) {
    // Someone is exchanging: keep using the current token while it lasts.
    if (auto token = current_locked(/*need_fresh=*/false)) return *token;
    return join(lock);
  }
  return lead(lock, /*fall_back_to_current=*/true);
}

Result<Token> RefreshingTokenSource::refresh_after_rejection(std::string_view rejected) {
  std::unique_lock lock(mu_);
  rejected_ = std::string(rejected);  // never hand it out again
  if (auto token = current_locked(/*need_fresh=*/false)) return *token;
  if (flight_) return join(lock);
  return lead(lock, /*fall_back_to_current=*/false);
}

Result<Token> RefreshingTokenSource::refresh() {
  std::unique_lock lock(mu_);
  if (flight_) return join(lock);
  return lead(lock, /*fall_back_to_current=*/false);
}

Status RefreshingTokenSource::forget() {
  std::lock_guard lock(mu_);
  current_.reset();
  return settings_.cache->clear();
}

std::uint64_t RefreshingTokenSource::exchange_count() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

Result<HttpResponse> RefreshingTokenSource::send_exchange(Transport& transport,
                                                          const HttpRequest& request,
                                                          std::int64_t requested_at) const {
  auto response = internal::send_with_retry(
      transport, request,
      {.policy = settings_.retry, .sleeper = settings_.sleeper, .clock = settings_.clock});
  if (!response) {
    internal::scrub(response.error(), secrets());
    return std::unexpected(std::move(response.error()));
  }
  if (response->status != 200) {
    ClientError error = internal::error_from_response(*response, requested_at);
    internal::scrub(error, secrets());
    return std::unexpected(std::move(error));
  }
  return response;
}

Result<Token> RefreshingTokenSource::join(std::unique_lock<std::mutex>& lock) {
  const std::shared_ptr<Flight> flight = flight_;
  done_.wait(lock, [&flight] { return flight->done; });
  return *flight->result;
}

Result<Token> RefreshingTokenSource::lead(std::unique_lock<std::mutex>& lock,
                                          bool fall_back_to_current) {
  auto flight = std::make_shared<Flight>();
  flight_ = flight;
  ++exchanges_;
  std::optional<Token> fallback;
  if (fall_back_to_current) fallback = current_locked(/*need_fresh=*/false);
  lock.unlock();

  Result<Token> result = std::unexpected(ClientError{
      .kind = ErrorKind::kUsage, .description = "the token exchange failed unexpectedly"});
  std::optional<ClientError> cache_error;
  try {
    result = exchange();
    if (result) {
      if (auto stored = settings_.cache->store(*result); !stored) {
        cache_error = std::move(stored.error());
        std::vector<std::string_view> masked = secrets();
        masked.push_back(result->access_token);
        internal::scrub(*cache_error, masked);
      }
    }
  } catch (...) {
    // Nothing may throw across the API (a derived exchange() or a user's
    // TokenCache); the flight is published below either way, so waiters
    // never hang.
  }

  lock.lock();
  if (result) {
    current_ = *result;
    rejected_.clear();
    next_proactive_refresh_ = 0;
  } else if (fallback) {
    next_proactive_refresh_ = settings_.clock() + kFailedRefreshPauseSeconds;
  }
  flight->result = result;
  flight->done = true;
  flight_.reset();
  done_.notify_all();
  const bool use_fallback = !result && fallback && usable(*fallback);
  // Callbacks run without the lock: they may call back into this source.
  lock.unlock();
  if (cache_error && settings_.on_cache_error) settings_.on_cache_error(*cache_error);
  if (use_fallback) {
    // A proactive refresh failed; the current token still works for now.
    if (settings_.on_refresh_error) settings_.on_refresh_error(result.error());
    return *fallback;
  }
  return result;
}

}  // namespace latchkey::client
