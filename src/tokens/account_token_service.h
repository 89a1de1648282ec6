// AccountTokenService: the lifecycle of seed 000's opaque account tokens.
//
//   issue()        one valid token per user: every call deletes all earlier
//                  tokens of the user (from any client), then issues a new one.
//   authenticate() bearer token -> Principal, from memory when cached; an
//                  expired token answers `expired` and is deleted on this
//                  first use; a deleted one says why (revoked, superseded by
//                  whom, user disabled).
//   revoke()       ends a token without replacement.
//
// The token itself is returned once by issue() and never kept: the store and
// the cache hold its SHA-256 digest only.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "accounts/principal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "invalidation/bus.h"
#include "store/store.h"
#include "tokens/account_token_cache.h"
#include "tokens/unconfirmed_revocations.h"

namespace latchkey {

struct AccountTokenOptions {
  Duration lifetime = std::chrono::hours(24 * 365);  // seed 000: one year
  // Tombstones (why a token ended) are kept this long after the token
  // would have expired, then the token reads as `unknown`.
  Duration tombstone_grace = std::chrono::hours(24 * 30);
  // The token-interference alarm (docs/origin-restrictions.md): more than
  // `threshold` issuances for one user within an hour from at least two
  // addresses (setting token_interference_threshold; 0: off).
  InterferenceRule interference;
};

// Where an issuing request came from; recorded so that a superseded token's
// 401 can name the issuance that replaced it.
struct RequestOrigin {
  std::string ip;
  std::string user_agent;
};

struct IssuedAccountToken {
  std::string access_token;  // shown once
  Instant expires_at;
  std::int64_t expires_in = 0;  // seconds
  // Set when this issuance raised the token-interference alarm; the caller
  // reports it (api/origin_handlers.h report_interference).
  std::optional<TokenInterference> interference;
};

class AccountTokenService {
 public:
  AccountTokenService(Store& store, AccountTokenCache& cache, const Clock& clock, Random& random,
                      AccountTokenOptions options)
      : store_(store), cache_(cache), clock_(clock), random_(random), options_(options) {}

  // Issues the only valid token of `user` (already authenticated). It
  // lives options.lifetime, capped at the service account's expiry and at
  // `credential_deadline` (the secret's hard maximum age; nullopt: none).
  Result<IssuedAccountToken> issue(const User& user, std::string_view client_id,
                                   const RequestOrigin& origin,
                                   std::optional<Instant> credential_deadline = std::nullopt);

  // kInvalidToken with reason malformed | unknown | expired | revoked |
  // superseded | user_disabled | api_access_disabled.
  Result<std::shared_ptr<const Principal>> authenticate(std::string_view token);

  // Ends the presented token (which must authenticate) without replacement.
  // When the store write fails, the token is refused by this process all
  // the same (fail closed) and the store's error is returned.
  Status revoke(std::string_view token);

  // Ends every token of the user; returns how many.
  Result<int> revoke_all_of_user(std::string_view user_id);

  const AccountTokenOptions& options() const { return options_; }

  // Where ended tokens are announced to other nodes sharing the store
  // (invalidation/bus.h); null: one node. Wiring, before serving.
  void set_publisher(invalidation::Publisher* publisher) { publisher_ = publisher; }
  // While `trust` is withdrawn every token is checked against the store.
  void set_cache_trust(const CacheTrust* trust) { cache_.set_trust(trust); }
  // Another node ended this token: drop it from this node's cache.
  void forget_token(const Digest& digest) { cache_.evict(digest); }
  void forget_all() { cache_.clear(); }

  // Drops cached state of the user after a change to it (flags, modules).
  void forget_user(std::string_view user_id) { cache_.evict_user(user_id); }

  // Forgets tombstones older than the grace period.
  Result<int> prune();

 private:
  Result<std::shared_ptr<const Principal>> authenticate_from_store(const Digest& digest);
  Error ended_token_error(const TokenTombstone& tombstone) const;
  void publish(const invalidation::Message& message) {
    if (publisher_ != nullptr) publisher_->publish(message);
  }

  Store& store_;
  AccountTokenCache& cache_;
  const Clock& clock_;
  Random& random_;
  const AccountTokenOptions options_;
  UnconfirmedRevocations unconfirmed_;
  invalidation::Publisher* publisher_ = nullptr;
};

}  // namespace latchkey
