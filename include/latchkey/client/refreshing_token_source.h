// The behaviour every credential-exchanging token source shares
// (AccountTokenSource, ApiKeyTokenSource, OAuthClientCredentialsTokenSource):
//
// - Refresh before expiry. A token is *fresh* until refresh_at_fraction
//   (default 0.8) of its lifetime has passed; get() then obtains a new one.
//   A token loaded from a cache that does not know when it was issued is
//   fresh until expiry_margin_seconds before it expires.
// - Single flight. At most one exchange runs at a time per source: callers
//   arriving while it runs either keep using the current token (when it is
//   still valid for more than the margin) or wait for the exchange and share
//   its result. N threads asking at once cause exactly one exchange.
// - After a 401 (refresh_after_rejection) a token another caller obtained in
//   the meantime is used instead of exchanging again.
// - 429 on the exchange is waited out with the RetryPolicy (retry.h).
// - A failed proactive refresh does not break callers: while the current
//   token is still valid it is handed out (and on_refresh_error told); get()
//   tries again kFailedRefreshPauseSeconds later, not on every call.
//
// Thread-safe. Derived classes implement exchange() and secrets().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/client/error.h"
#include "latchkey/client/retry.h"
#include "latchkey/client/token.h"
#include "latchkey/client/token_cache.h"
#include "latchkey/client/token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

// The tuning every refreshing source takes; each source's options struct
// has these same fields (with these defaults) beside its own.
struct RefreshSettings {
  UnixClock clock;                    // default: system_unix_seconds
  std::shared_ptr<TokenCache> cache;  // default: a MemoryTokenCache
  double refresh_at_fraction = 0.8;   // of the token's lifetime, in (0, 1]
  // A token is never handed out when it expires within this margin (capped
  // to the part of the lifetime after the refresh point).
  std::int64_t expiry_margin_seconds = 60;
  RetryPolicy retry;
  Sleeper sleeper;  // default: system_sleep
  // Told when the cache cannot be written; the token is still used.
  std::function<void(const ClientError&)> on_cache_error;
  // Told when a proactive refresh failed but the current token was still
  // valid and was handed out instead.
  std::function<void(const ClientError&)> on_refresh_error;
};

class RefreshingTokenSource : public TokenSource {
 public:
  // How long get() keeps a still-valid token after a proactive refresh
  // failed before it tries again.
  static constexpr std::int64_t kFailedRefreshPauseSeconds = 5;

  ~RefreshingTokenSource() override;

  // The current token while it is fresh; otherwise the result of one
  // exchange (shared with concurrent callers).
  Result<Token> get() override;
  bool can_refresh() const override { return true; }
  // A token other than `rejected` obtained meanwhile (by another thread, or
  // another process sharing the cache), else a new one. Issues at most one.
  Result<Token> refresh_after_rejection(std::string_view rejected) override;
  // Exchanges unconditionally (or joins an exchange already running).
  Result<Token> refresh();
  // Forgets the token in memory and in the cache.
  Status forget();

  // Exchanges started since construction (for tests and diagnostics).
  std::uint64_t exchange_count() const;

 protected:
  explicit RefreshingTokenSource(RefreshSettings settings);

  // One exchange of the credentials for a token. Called without the lock
  // held, never concurrently with itself. Use send() for the request.
  virtual Result<Token> exchange() = 0;
  // The secrets to mask in every error this source returns.
  virtual std::vector<std::string_view> secrets() const = 0;

  // Sends an exchange request through `transport`, waiting out 429 with the
  // policy. A failure to send and any answer but 200 come back as a
  // ClientError (the server's reason, Retry-After measured from
  // `requested_at`) with secrets() masked.
  Result<HttpResponse> send_exchange(Transport& transport, const HttpRequest& request,
                                     std::int64_t requested_at) const;
  const RefreshSettings& settings() const { return settings_; }

 private:
  struct Flight;
  std::int64_t refresh_point(const Token& token) const;
  bool fresh(const Token& token) const;
  bool usable(const Token& token) const;
  // The token in memory, else in the cache, if fresh (or merely usable)
  // and not the last rejected one.
  std::optional<Token> current_locked(bool need_fresh);
  // Waits for the running exchange and returns its result.
  Result<Token> join(std::unique_lock<std::mutex>& lock);
  // Runs an exchange (lock released meanwhile) and publishes its result.
  Result<Token> lead(std::unique_lock<std::mutex>& lock, bool fall_back_to_current);

  RefreshSettings settings_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::optional<Token> current_;    // guarded by mu_
  std::shared_ptr<Flight> flight_;  // the running exchange, guarded by mu_
  std::uint64_t exchanges_ = 0;     // guarded by mu_
  std::string rejected_;            // the token last refused with 401, guarded by mu_
  // After a failed proactive refresh, get() hands out the still-valid token
  // without exchanging until this time (Unix seconds), guarded by mu_.
  std::int64_t next_proactive_refresh_ = 0;
};

}  // namespace latchkey::client
