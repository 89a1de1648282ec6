// KeyService: the lifecycle of API keys (seeds 002-004).
//
//   create()        seed 002: a user creates keys for themselves only; an
//                   admin cannot create a key for anyone else. The full key
//                   is returned once (one-time reveal) and never kept: the
//                   store holds its SHA-256 digest and its masked form.
//   deactivate()    seed 002: the owner deactivates their own keys, an admin
//                   any key. Idempotent. In memory before it returns, then the
//                   deactivation listeners run (caches of key-derived tokens).
//   authenticate()  a presented key -> its record, or a 401 that says why
//                   (malformed, unknown, revoked, expired, rotated).
//   reroll()        docs/rotation.md: a new key in place of an old one; the
//                   old one works until its lapse, then is refused "rotated".
//   is_active()     in-memory check for verifiers of key-derived tokens;
//                   correct as soon as deactivate() has returned.
//   note_used()     coalesced last use: kept in memory, written in one batch
//                   by flush_last_used() (periodically and at shutdown).
//
// Key status: active, inactive (deactivated) or expired (computed from
// expires_at with the injected clock; a deactivated key reads inactive).
//
// Thread-safety: safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "accounts/principal.h"
#include "core/cache_trust.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/key_store.h"

namespace latchkey::keys {

// Response header announcing that the key a request used expires soon.
inline constexpr std::string_view kKeyExpiresSoonHeader = "Latchkey-Key-Expires-Soon";

struct KeyServiceOptions {
  int max_validity_days = 365;                            // seed 004: at most one year
  Duration expiry_warning = std::chrono::hours(24 * 14);  // "expiring soon" window
};

struct CreateKeyRequest {
  std::string name;
  std::string role_id;      // empty: the key carries every role of its owner
  bool read_only = false;   // scope "read"; default "write" (still bounded by the role)
  int expires_in_days = 0;  // required, 1..max_validity_days
  // Set when the request names an owner (e.g. "user_id"): allowed only when
  // it is the caller (seed 002: nobody creates keys for others).
  std::optional<std::string> for_user_id;
  // Where the key and its tokens may be used from (docs/origin-restrictions.md):
  // CIDR blocks, validated and normalized by create(); empty: anywhere.
  std::vector<std::string> allowed_origins;
};

// Returned once by create(): the only place the full key ever appears.
struct CreatedKey {
  ApiKey key;
  std::string api_key;
};

// Returned once by reroll() (docs/rotation.md): the old key as it is now
// (replaced_by, lapses_at) and the new key with its one-time reveal.
struct RerolledKey {
  ApiKey old_key;
  CreatedKey created;
};

// docs/rotation.md: how long a rerolled key may keep working.
inline constexpr std::int64_t kMaxRerollOverlapSeconds = 7 * 24 * 3600;

// The 401 for a rerolled key after its lapse (reason "rotated"), for the
// key itself and for the tokens derived from it.
Error rotated_key_error(const ApiKey& key);

// Whether `user_id` holds `role_id` (seed 004: a key's role is one its owner
// holds). Wired in server/main.cc to the permission service.
using RoleMembership =
    std::function<Result<bool>(std::string_view user_id, std::string_view role_id)>;

using DeactivationListener = std::function<void(const ApiKey& key)>;
// Called after any other committed change of a key (allowed origins, limit
// override, reroll): cached key-derived principals must not outlive it, and
// other nodes sharing the store must learn it (invalidation/).
using KeyChangeListener = std::function<void(const ApiKey& key)>;

// Called by create() and deactivate() after every check and before the
// change is written (e.g. a durable audit record); an error aborts the change
// and is returned.
using BeforeChange = std::function<Status(const ApiKey& key)>;

inline constexpr std::size_t kMaxKeyNameBytes = 128;

// Status of `key` at `now`: inactive when deactivated, else expired at or
// after expires_at, else active.
KeyStatus status_of(const ApiKey& key, Instant now);

// True when `key` is active and expires within `window` of `now`.
bool expires_soon(const ApiKey& key, Instant now, Duration window);

// The value of the Latchkey-Key-Expires-Soon header for a request made with
// `key` at `now` (its expiry time, RFC 3339), or nullopt when it does not
// expire within `window`.
std::optional<std::string> expiry_warning(const ApiKey& key, Instant now,
                                          Duration window = std::chrono::hours(24 * 14));
// The same for a key known only by its expiry (e.g. after a token exchange).
std::optional<std::string> expiry_warning(Instant key_expires_at, Instant now, Duration window);

class KeyService {
 public:
  KeyService(KeyStore& store, const Clock& clock, Random& random, KeyServiceOptions options = {});

  // Wiring, before serving: the role check (without it, a role id is only
  // checked for shape) and listeners called after every deactivation.
  void set_role_membership(RoleMembership membership);
  void add_deactivation_listener(DeactivationListener listener);
  void add_change_listener(KeyChangeListener listener);

  // Loads every key into memory so that authenticate() and is_active() do
  // not read the store. Optional: misses fall back to the store.
  Status load();

  // Several nodes sharing the store (invalidation/, docs/operations.md).
  // While `trust` is withdrawn, every lookup reads the store first (memory
  // still wins where it knows a deactivation or lapse). Wiring, before
  // serving; null: always trusted.
  void set_cache_trust(const CacheTrust* trust) { trust_ = trust; }
  // Another node changed the key: memory takes it as the store has it now
  // (a deactivation or lapse already in memory stays). No listener runs.
  // On error memory no longer holds the key as active: lookups read the
  // store until it answers.
  Status reload_key(std::string_view key_id);
  // The same without reading the store (the invalidation listener: no I/O
  // on its thread): the next lookup reads it. A read of the store already
  // under way when this is called is not remembered (it may predate the
  // change).
  void forget_key(std::string_view key_id);

  // kForbidden when for_user_id names someone else or the actor
  // authenticated with a key-derived token; kInvalidRequest for a bad name,
  // scope or validity (over max_validity_days: "validity_too_long").
  Result<CreatedKey> create(const Principal& actor, const CreateKeyRequest& request,
                            const BeforeChange& before = {});

  // The actor's keys; with user_id (ADMIN only unless it is the actor) that
  // user's keys; all_users (ADMIN only) every key. Masked, last use merged.
  Result<std::vector<ApiKey>> list(const Principal& actor, std::optional<std::string_view> user_id,
                                   bool all_users = false);

  // One key, masked, last use merged: owner or ADMIN; otherwise kNotFound.
  Result<ApiKey> get(const Principal& actor, std::string_view key_id);

  // Owner or ADMIN; otherwise kNotFound (existence is not leaked). Idempotent.
  // A read-only key-derived token gets kForbidden (invariant 4). When the
  // store write fails, the key is refused in memory all the same (fail
  // closed) and the store's error is returned.
  Result<ApiKey> deactivate(const Principal& actor, std::string_view key_id,
                            const BeforeChange& before = {});

  // docs/rotation.md: a new key in place of `key_id`, with the same name,
  // role, scope, limit override and expiry (the remaining validity),
  // revealed once; the old key keeps working until now + previous_valid_for
  // (0 .. kMaxRerollOverlapSeconds, kInvalidRequest otherwise) and is then
  // refused as "rotated". The owner only: others get kNotFound, an admin
  // who is not the owner kForbidden (seed 002: the new key would be
  // revealed to them), a key-derived or read-only token kForbidden. An
  // inactive, expired or already rerolled key: kConflict with that reason.
  // `before` runs with the old key after the checks, before the write.
  // When the store's write fails (it may have committed) or says the key
  // was already rerolled, memory takes the key as the store has it; when
  // even that read fails and there was no overlap, the old key is refused
  // in memory (fail closed, like deactivate()).
  Result<RerolledKey> reroll(const Principal& actor, std::string_view key_id,
                             Duration previous_valid_for, const BeforeChange& before = {});
  // reroll()'s permission checks alone (nothing written): the caller who
  // may not reroll the key hears that before any complaint about the body.
  Status check_reroll(const Principal& actor, std::string_view key_id);

  // Replaces a key's limit override (docs/rate-limits.md; an empty one
  // clears it). ADMIN only (kForbidden otherwise: key-derived tokens never
  // administer); kNotFound for an unknown key; kInvalidRequest for a value
  // out of range (requests_per_minute 0..1000000, concurrent_per_route
  // 0..100000; 0 = unlimited). `before` runs after the checks, before the
  // write. In memory (limits_of) once it returns.
  Result<ApiKey> set_limits(const Principal& actor, std::string_view key_id,
                            const KeyLimitOverride& limits, const BeforeChange& before = {});

  // Replaces a key's allowed origins (docs/origin-restrictions.md; an empty
  // list clears them): CIDR blocks, validated and normalized (kInvalidRequest
  // naming the bad entry, at most 64). Who may: like deactivate(), the owner
  // or an ADMIN (kNotFound for anyone else), never with a token derived
  // from an API key (kForbidden: a key must not lift its own restriction)
  // nor a read-only token. `before` runs after the checks, before the
  // write. In memory and the change listeners told before it returns.
  Result<ApiKey> set_allowed_origins(const Principal& actor, std::string_view key_id,
                                     const std::vector<std::string>& cidrs,
                                     const BeforeChange& before = {});

  // In memory, cheap (the rate limiter asks on every limited request): the
  // key's limit override, or nullopt when it has none or is not loaded.
  std::optional<KeyLimitOverride> limits_of(std::string_view key_id) const;

  // Every key for the admin report (ADMIN only), last use merged.
  Result<std::vector<ApiKey>> report(const Principal& actor);

  // The record of an active key, or kInvalidToken with reason malformed,
  // unknown, revoked (deactivated) or expired. Checks the key only, not its
  // owner (disabled users and API access are the caller's check).
  Result<ApiKey> authenticate(std::string_view presented_key);

  // A key by id with its status now (any status), from memory or, on a
  // miss, the store; nullopt when there is no such key. No access check:
  // for other services (e.g. verifiers of key-derived tokens).
  Result<std::optional<ApiKey>> find(std::string_view key_id);

  // In memory. False for unknown, deactivated or expired keys.
  bool is_active(std::string_view key_id, Instant now);

  // Coalesced: remembers the latest use per key; no store write.
  void note_used(std::string_view key_id, Instant now);
  // Writes every pending last use in one store write. Returns how many keys
  // were written. On failure the pending uses are kept for the next flush.
  Result<std::size_t> flush_last_used();
  std::size_t pending_last_used() const;

  const KeyServiceOptions& options() const { return options_; }

 private:
  ApiKey finish(ApiKey key, Instant now) const;  // status + pending last use
  // `read_at_epoch`: forget_epoch_ before the store read that produced
  // `key`; when a forget_key() came since, `key` is not remembered.
  void remember(const ApiKey& key, std::optional<std::uint64_t> read_at_epoch = std::nullopt);
  // Holds `key` (deactivated) in memory and tells the listeners.
  void apply_deactivation(const ApiKey& key);
  void tell_change_listeners(const ApiKey& key);
  Result<std::optional<ApiKey>> lookup_by_id(std::string_view key_id);
  // After a committed reroll: the old key's replaced_by and lapses_at into
  // memory, nothing else (a deactivation in memory stays).
  void merge_reroll(const ApiKey& old_key);
  // After a failed reroll: memory learns the old key as stored, or, when
  // the store cannot say and there was no overlap, refuses it (fail closed).
  void after_failed_reroll(const ApiKey& old_key, Duration previous_valid_for, Instant now);
  // The key `actor` may reroll, or why not (see reroll()).
  Result<ApiKey> reroll_target(const Principal& actor, std::string_view key_id);

  KeyStore& store_;
  const Clock& clock_;
  Random& random_;
  KeyServiceOptions options_;
  const CacheTrust* trust_ = nullptr;

  RoleMembership role_membership_;
  std::vector<DeactivationListener> listeners_;
  std::vector<KeyChangeListener> change_listeners_;

  // Memory image of the keys: id -> record (without last use), digest -> id.
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ApiKey> by_id_;           // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::string> by_digest_;  // GUARDED_BY(mu_)
  std::atomic<std::uint64_t> forget_epoch_{0};              // bumped under mu_

  // Coalesced last uses not yet written, and the latest known ones.
  mutable std::mutex usage_mu_;
  std::unordered_map<std::string, Instant> pending_used_;  // GUARDED_BY(usage_mu_)
  std::unordered_map<std::string, Instant> last_used_;     // GUARDED_BY(usage_mu_)
};

}  // namespace latchkey::keys
