// KeyStore: API keys (seeds 002-004).
//
// A key is kept only as the SHA-256 digest of the full key plus its masked
// form ("••••" + last 4); the full key exists only in the response that
// created it (seed 002: one-time reveal).
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
// Errors: kConflict when an id or digest is taken, kNotFound when a key or
// its owner does not exist, kUnavailable / kInternal as in store.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/time.h"
#include "store/records.h"

namespace latchkey {

// seed 002: active or inactive (deactivated); expired is computed from
// expires_at with the injected clock (keys/key_service.h status_of).
// kRotated: rerolled, and its lapses_at has passed (docs/rotation.md).
enum class KeyStatus { kActive, kInactive, kExpired, kRotated };
std::string_view to_string(KeyStatus status);

// An admin's per-key limits (docs/rate-limits.md), over the key's role
// limits and the defaults; an unset field falls through. 0 = unlimited.
struct KeyLimitOverride {
  std::optional<int> requests_per_minute;
  std::optional<int> concurrent_per_route;
  bool empty() const { return !requests_per_minute && !concurrent_per_route; }
  bool operator==(const KeyLimitOverride&) const = default;
};

// One API key. `status` as stored is kActive or kInactive; KeyService fills
// in kExpired from its clock before handing a key out.
struct ApiKey {
  std::string id;          // "key_..."
  std::string user_id;     // the owner; seed 002: always the creator
  std::string name;        // seed 004: a descriptive name
  std::string role_id;     // seed 004: a role the owner holds; empty = every role of the owner
  bool read_only = false;  // seed 003: scope "read" (true) or "write" (false)
  Digest digest{};         // SHA-256 of the full key
  std::string masked;      // "••••" + last 4
  KeyStatus status = KeyStatus::kActive;
  Instant created_at;
  Instant expires_at;  // seed 004: at most one year after created_at
  std::optional<Instant> deactivated_at;
  std::string deactivated_by;  // user id of whoever deactivated it
  std::optional<Instant> last_used_at;
  KeyLimitOverride limits;  // migration 6
  // Reroll (migration 11, docs/rotation.md): the key that replaced this one
  // and when this one stops working (then refused as "rotated"); the key
  // this one replaced. Empty / nullopt when never rerolled.
  std::string replaced_by;
  std::string rerolled_from;
  std::optional<Instant> lapses_at;
  // Origin restriction (docs/origin-restrictions.md): the CIDR blocks the
  // key and every token derived from it may be used from, normalized;
  // empty: anywhere. Migration 13.
  std::vector<std::string> allowed_origins;
};

// What reroll_key() stored: the old key (replaced_by, lapses_at set) and the
// new one (rerolled_from set); when the old key was itself a reroll's new
// key and that reroll's old key (its predecessor) still worked, the
// predecessor as ended by this reroll (lapses_at = the reroll time).
struct KeyReroll {
  ApiKey old_key;
  ApiKey new_key;
  std::optional<ApiKey> predecessor;
};

// A coalesced "last used" observation (see KeyService::note_used).
struct KeyUsage {
  std::string key_id;
  Instant used_at;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Inserts `key` (status kActive, no deactivation, no last use).
  // kConflict when the id or digest is taken; kNotFound when the owner does
  // not exist.
  virtual Status insert_key(const ApiKey& key) = 0;

  virtual Result<std::optional<ApiKey>> find_key(std::string_view id) = 0;
  virtual Result<std::optional<ApiKey>> find_key_by_digest(const Digest& digest) = 0;

  // Keys of one user, oldest first.
  virtual Result<std::vector<ApiKey>> list_keys_of_user(std::string_view user_id) = 0;
  // Every key, oldest first.
  virtual Result<std::vector<ApiKey>> list_keys() = 0;

  // Marks the key inactive at `at` by `by_user_id`. Idempotent: a key that
  // is already inactive keeps its first deactivation. Returns the key as it
  // is after the call, or nullopt when there is no such key.
  virtual Result<std::optional<ApiKey>> deactivate_key(std::string_view id, Instant at,
                                                       std::string_view by_user_id) = 0;

  // Records every usage in one write (one transaction); a usage never moves
  // last_used_at backwards; unknown key ids are ignored. Returns the number
  // of keys whose last_used_at changed.
  virtual Result<int> record_key_usage(const std::vector<KeyUsage>& usages) = 0;

  // Rerolls key `old_id` in one transaction: inserts `new_key` (as given,
  // with rerolled_from = old_id, its limit override included, and the old
  // key's allowed origins as stored, whatever new_key holds) and marks the
  // old key replaced_by = new_key.id and lapses_at. When the old key was
  // itself rerolled_from a key whose lapses_at is after `at`, that key's
  // lapses_at becomes `at` in the same transaction (docs/rotation.md: at
  // most two keys of a reroll chain work at once). Refused with kConflict
  // and nothing written when the old key is deactivated (reason
  // "inactive"), expired at `at` ("expired"), or already rerolled
  // ("already_rerolled"); kNotFound when there is no such key.
  virtual Result<KeyReroll> reroll_key(std::string_view old_id, const ApiKey& new_key,
                                       Instant lapses_at, Instant at) = 0;

  // Replaces the key's limit override (an empty one clears it). Returns the
  // key as it is after the call, or nullopt when there is no such key.
  virtual Result<std::optional<ApiKey>> set_key_limits(std::string_view id,
                                                       const KeyLimitOverride& limits) = 0;

  // Replaces the key's allowed origins (normalized CIDR blocks; an empty
  // list clears the restriction). insert_key stores key.allowed_origins
  // with the key. Returns the key as it is after the call, or nullopt when
  // there is no such key.
  virtual Result<std::optional<ApiKey>> set_key_allowed_origins(
      std::string_view id, const std::vector<std::string>& cidrs) = 0;
};

}  // namespace latchkey
