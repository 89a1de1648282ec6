#include "keys/key_service.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "accounts/origin_restriction.h"
#include "accounts/user_service.h"
#include "core/ids.h"
#include "core/secret.h"

namespace latchkey::keys {
namespace {

std::string digest_key(const Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

Status validate_key_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameBytes) {
    return fail(Error::invalid_request("field \"name\" must be 1 to " +
                                       std::to_string(kMaxKeyNameBytes) + " bytes"));
  }
  bool blank = true;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return fail(Error::invalid_request("field \"name\" must not contain control characters"));
    }
    if (c != ' ') blank = false;
  }
  if (blank) return fail(Error::invalid_request("field \"name\" must not be blank"));
  // A name that looks like a secret would be listed unmasked.
  if (contains_secret_like(name)) {
    return fail(Error::invalid_request("field \"name\" must not contain a secret"));
  }
  return {};
}

// Without a permission service: a role id is 1..128 characters of
// [A-Za-z0-9_.:-].
Status validate_role_shape(std::string_view role_id) {
  const bool ok = !role_id.empty() && role_id.size() <= 128 &&
                  std::all_of(role_id.begin(), role_id.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
                  });
  if (!ok) {
    return fail(Error::invalid_request(
        "field \"role\" must be a role id: 1 to 128 characters of A-Z a-z 0-9 _ - . :"));
  }
  return {};
}

Error key_not_found() {
  // The id comes from the client: never echoed (it may be a pasted secret).
  return Error::not_found("no API key with the given id");
}

}  // namespace

KeyStatus status_of(const ApiKey& key, Instant now) {
  if (key.deactivated_at || key.status == KeyStatus::kInactive) return KeyStatus::kInactive;
  // docs/rotation.md: a rerolled key works until its lapse, then never again.
  if (key.lapses_at && now >= *key.lapses_at) return KeyStatus::kRotated;
  if (now >= key.expires_at) return KeyStatus::kExpired;
  return KeyStatus::kActive;
}

bool expires_soon(const ApiKey& key, Instant now, Duration window) {
  return status_of(key, now) == KeyStatus::kActive && key.expires_at - now <= window;
}

std::optional<std::string> expiry_warning(const ApiKey& key, Instant now, Duration window) {
  if (!expires_soon(key, now, window)) return std::nullopt;
  return format_rfc3339(key.expires_at);
}

std::optional<std::string> expiry_warning(Instant key_expires_at, Instant now, Duration window) {
  if (now >= key_expires_at || key_expires_at - now > window) return std::nullopt;
  return format_rfc3339(key_expires_at);
}

KeyService::KeyService(KeyStore& store, const Clock& clock, Random& random,
                       KeyServiceOptions options)
    : store_(store), clock_(clock), random_(random), options_(options) {}

void KeyService::set_role_membership(RoleMembership membership) {
  role_membership_ = std::move(membership);
}

void KeyService::add_deactivation_listener(DeactivationListener listener) {
  listeners_.push_back(std::move(listener));
}

void KeyService::add_change_listener(KeyChangeListener listener) {
  change_listeners_.push_back(std::move(listener));
}

Status KeyService::load() {
  auto keys = store_.list_keys();
  if (!keys) return fail(keys.error());
  for (const ApiKey& key : *keys) remember(key);
  return {};
}

void KeyService::forget_key(std::string_view key_id) {
  std::unique_lock lock(mu_);
  // A read of the store that began before now must not put back what it
  // read: it may predate the change this forget is for (remember()).
  forget_epoch_.fetch_add(1, std::memory_order_acq_rel);
  auto it = by_id_.find(std::string(key_id));
  // What memory already refuses (a deactivation, a lapse, perhaps only here
  // after a failed write) stays: fail closed.
  if (it != by_id_.end() && status_of(it->second, clock_.now()) == KeyStatus::kActive) {
    by_id_.erase(it);
  }
}

Status KeyService::reload_key(std::string_view key_id) {
  // Forgotten first: while the read is under way, and for good when it
  // fails, lookups read the store instead of the state another node has
  // just changed.
  forget_key(key_id);
  const std::uint64_t epoch = forget_epoch_.load(std::memory_order_acquire);
  auto stored = store_.find_key(key_id);
  if (!stored) return fail(stored.error());
  if (*stored) remember(**stored, epoch);
  return {};
}

void KeyService::tell_change_listeners(const ApiKey& key) {
  for (const KeyChangeListener& listener : change_listeners_) listener(key);
}

void KeyService::remember(const ApiKey& key, std::optional<std::uint64_t> read_at_epoch) {
  ApiKey copy = key;
  {
    std::lock_guard lock(usage_mu_);
    if (copy.last_used_at) {
      auto& known = last_used_[copy.id];
      known = std::max(known, *copy.last_used_at);
    }
  }
  copy.last_used_at.reset();  // kept in last_used_ only
  std::unique_lock lock(mu_);
  if (read_at_epoch && *read_at_epoch != forget_epoch_.load(std::memory_order_acquire)) return;
  by_digest_[digest_key(copy.digest)] = copy.id;
  auto [it, inserted] = by_id_.try_emplace(copy.id, copy);
  // Never resurrect: a deactivation, a reroll or a lapse seen in memory
  // wins over a stale read.
  if (!inserted && !it->second.deactivated_at) {
    if (!it->second.replaced_by.empty() && copy.replaced_by.empty()) {
      copy.replaced_by = it->second.replaced_by;
    }
    if (it->second.lapses_at && (!copy.lapses_at || *it->second.lapses_at < *copy.lapses_at)) {
      copy.lapses_at = it->second.lapses_at;
    }
    it->second = std::move(copy);
  }
}

ApiKey KeyService::finish(ApiKey key, Instant now) const {
  key.status = status_of(key, now);
  std::lock_guard lock(usage_mu_);
  auto merge = [&](const std::unordered_map<std::string, Instant>& from) {
    auto it = from.find(key.id);
    if (it == from.end()) return;
    if (!key.last_used_at || *key.last_used_at < it->second) key.last_used_at = it->second;
  };
  merge(last_used_);
  merge(pending_used_);
  return key;
}

Result<std::optional<ApiKey>> KeyService::lookup_by_id(std::string_view key_id) {
  if (caches_trusted(trust_)) {
    std::shared_lock lock(mu_);
    auto it = by_id_.find(std::string(key_id));
    if (it != by_id_.end()) return std::optional<ApiKey>(it->second);
  }
  const std::uint64_t epoch = forget_epoch_.load(std::memory_order_acquire);
  auto stored = store_.find_key(key_id);
  if (!stored) return fail(stored.error());
  if (*stored) remember(**stored, epoch);
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(key_id));
  // Memory wins where it has the key (a deactivation known here); else the
  // store's answer (not remembered when a forget raced the read).
  if (it == by_id_.end()) return std::move(*stored);
  return std::optional<ApiKey>(it->second);
}

Result<CreatedKey> KeyService::create(const Principal& actor, const CreateKeyRequest& request,
                                      const BeforeChange& before) {
  // No escalation: a token obtained from a key never mints more keys.
  if (actor.key) {
    return fail(Error::forbidden(
        "API keys cannot be created with a token obtained from an API key; use your account "
        "credentials"));
  }
  // A token narrowed to scope "read" (docs/oauth.md) never creates anything.
  if (!actor.may_write()) {
    return fail(Error::forbidden("this token has scope \"read\"; creating a key needs \"write\"")
                    .with_reason("insufficient_scope"));
  }
  // seed 002: users create keys for their own profile only; administrators
  // cannot create keys for others.
  if (request.for_user_id && *request.for_user_id != actor.user_id &&
      *request.for_user_id != "me") {
    return fail(Error::forbidden(
        "API keys can only be created for yourself; not even an administrator can create a key "
        "for another user"));
  }
  if (auto s = validate_key_name(request.name); !s) return fail(s.error());
  if (request.expires_in_days < 1 || request.expires_in_days > options_.max_validity_days) {
    Error e = Error::invalid_request(
        "field \"expires_in_days\" must be between 1 and " +
        std::to_string(options_.max_validity_days) + " (an API key is valid for at most " +
        (options_.max_validity_days == 365 ? std::string("one year")
                                           : std::to_string(options_.max_validity_days) + " days") +
        ")");
    if (request.expires_in_days > options_.max_validity_days) e.with_reason("validity_too_long");
    return fail(std::move(e));
  }
  if (!request.role_id.empty()) {
    if (auto s = validate_role_shape(request.role_id); !s) return fail(s.error());
    if (role_membership_) {
      auto holds = role_membership_(actor.user_id, request.role_id);
      if (!holds) return fail(holds.error());
      if (!*holds) {
        return fail(Error::forbidden(
            "you do not hold the role named in field \"role\"; a key can only carry a role its "
            "owner holds"));
      }
    }
  }

  const Instant now = clock_.now();
  std::string secret = generate_secret(SecretKind::kApiKey, random_);
  ApiKey key;
  key.id = new_id("key_", random_);
  key.user_id = actor.user_id;
  key.name = request.name;
  key.role_id = request.role_id;
  key.read_only = request.read_only;
  key.digest = digest_secret(secret);
  key.masked = mask_secret(secret);
  key.status = KeyStatus::kActive;
  key.created_at = now;
  key.expires_at = now + std::chrono::hours(24) * request.expires_in_days;
  if (!request.allowed_origins.empty()) {
    auto origins = normalize_allowed_origins(request.allowed_origins);
    if (!origins) return fail(origins.error());
    key.allowed_origins = std::move(*origins);
  }
  if (before) {
    if (auto s = before(key); !s) return fail(s.error());
  }
  if (auto s = store_.insert_key(key); !s) return fail(s.error());
  remember(key);
  return CreatedKey{finish(key, now), std::move(secret)};
}

Result<std::vector<ApiKey>> KeyService::list(const Principal& actor,
                                             std::optional<std::string_view> user_id,
                                             bool all_users) {
  if (user_id && (*user_id == "me" || *user_id == actor.user_id)) user_id.reset();
  if (all_users || user_id) {
    if (auto s = require_admin(actor); !s) return fail(s.error());
  }
  auto stored =
      all_users ? store_.list_keys() : store_.list_keys_of_user(user_id.value_or(actor.user_id));
  if (!stored) return fail(stored.error());
  const Instant now = clock_.now();
  std::vector<ApiKey> keys;
  keys.reserve(stored->size());
  for (ApiKey& key : *stored) {
    // A deactivation acknowledged in memory is authoritative.
    {
      std::shared_lock lock(mu_);
      auto it = by_id_.find(key.id);
      if (it != by_id_.end() && it->second.deactivated_at && !key.deactivated_at) {
        key.deactivated_at = it->second.deactivated_at;
        key.deactivated_by = it->second.deactivated_by;
        key.status = KeyStatus::kInactive;
      }
    }
    keys.push_back(finish(std::move(key), now));
  }
  return keys;
}

Result<std::vector<ApiKey>> KeyService::report(const Principal& actor) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return list(actor, std::nullopt, true);
}

Result<ApiKey> KeyService::get(const Principal& actor, std::string_view key_id) {
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  if (!*found || ((*found)->user_id != actor.user_id && !actor.is_admin())) {
    return fail(key_not_found());
  }
  return finish(std::move(**found), clock_.now());
}

Result<ApiKey> KeyService::deactivate(const Principal& actor, std::string_view key_id,
                                      const BeforeChange& before) {
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  // seed 002: owners deactivate their own keys, administrators any key.
  // Anyone else learns nothing about the key's existence.
  if (!*found || ((*found)->user_id != actor.user_id && !actor.is_admin())) {
    return fail(key_not_found());
  }
  // DESIGN invariant 4: a read-only key never writes.
  if (!actor.may_write()) {
    return fail(Error::forbidden("a read-only token cannot deactivate keys")
                    .with_reason("insufficient_scope"));
  }
  if (before && !(*found)->deactivated_at) {
    if (auto s = before(**found); !s) return fail(s.error());
  }
  const Instant now = clock_.now();
  auto stored = store_.deactivate_key(key_id, now, actor.user_id);
  if (!stored) {
    // Fail closed (docs/security/faults.md): the store could not confirm
    // the deactivation (it may or may not be durable), so this process
    // refuses the key anyway; the error (503) tells the caller to retry.
    ApiKey key = **found;
    key.status = KeyStatus::kInactive;
    key.deactivated_at = now;
    key.deactivated_by = actor.user_id;
    apply_deactivation(key);
    return fail(stored.error());
  }
  if (!*stored) return fail(key_not_found());
  ApiKey key = std::move(**stored);
  apply_deactivation(key);
  return finish(std::move(key), now);
}

void KeyService::apply_deactivation(const ApiKey& key) {
  {
    std::unique_lock lock(mu_);
    ApiKey memo = key;
    memo.last_used_at.reset();
    by_id_[key.id] = memo;
    by_digest_[digest_key(key.digest)] = key.id;
  }
  for (const DeactivationListener& listener : listeners_) listener(key);
}

Result<ApiKey> KeyService::set_limits(const Principal& actor, std::string_view key_id,
                                      const KeyLimitOverride& limits, const BeforeChange& before) {
  if (!actor.is_admin()) {
    return fail(Error::forbidden("only an administrator (with an account token) sets key limits"));
  }
  if (limits.requests_per_minute &&
      (*limits.requests_per_minute < 0 || *limits.requests_per_minute > 1'000'000)) {
    return fail(Error::invalid_request(
        "requests_per_minute must be between 0 (unlimited) and 1000000, or null"));
  }
  if (limits.concurrent_per_route &&
      (*limits.concurrent_per_route < 0 || *limits.concurrent_per_route > 100'000)) {
    return fail(Error::invalid_request(
        "concurrent_per_route must be between 0 (unlimited) and 100000, or null"));
  }
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  if (!*found) return fail(key_not_found());
  if (before) {
    if (auto s = before(**found); !s) return fail(s.error());
  }
  auto stored = store_.set_key_limits(key_id, limits);
  if (!stored) {
    // The write may have committed: this node re-reads the key, and the
    // listeners (the other nodes, through the bus) are told as well.
    forget_key(key_id);
    tell_change_listeners(**found);
    return fail(stored.error());
  }
  if (!*stored) return fail(key_not_found());
  ApiKey key = std::move(**stored);
  {
    std::unique_lock lock(mu_);
    auto it = by_id_.find(key.id);
    if (it != by_id_.end()) {
      it->second.limits = key.limits;
    } else {
      ApiKey memo = key;
      memo.last_used_at.reset();
      by_id_[key.id] = memo;
      by_digest_[digest_key(key.digest)] = key.id;
    }
  }
  tell_change_listeners(key);
  return finish(std::move(key), clock_.now());
}

Result<ApiKey> KeyService::set_allowed_origins(const Principal& actor, std::string_view key_id,
                                               const std::vector<std::string>& cidrs,
                                               const BeforeChange& before) {
  // A key (and its tokens) must not lift its own restriction.
  if (actor.key) {
    return fail(Error::forbidden(
                    "a token obtained from an API key cannot change origin restrictions; use your "
                    "account credentials")
                    .with_reason("api_key_token"));
  }
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  // Like deactivation: the owner or an administrator; anyone else learns
  // nothing about the key's existence.
  if (!*found || ((*found)->user_id != actor.user_id && !actor.is_admin())) {
    return fail(key_not_found());
  }
  if (!actor.may_write()) {
    return fail(Error::forbidden("a read-only token cannot change a key's allowed origins")
                    .with_reason("insufficient_scope"));
  }
  auto origins = normalize_allowed_origins(cidrs);
  if (!origins) return fail(origins.error());
  if (before) {
    if (auto s = before(**found); !s) return fail(s.error());
  }
  auto stored = store_.set_key_allowed_origins(key_id, *origins);
  if (!stored) {
    // The write may have committed: no cached principal of the key's tokens
    // survives either way (the next request reads the store).
    tell_change_listeners(**found);
    return fail(stored.error());
  }
  if (!*stored) return fail(key_not_found());
  ApiKey key = std::move(**stored);
  {
    std::unique_lock lock(mu_);
    auto it = by_id_.find(key.id);
    if (it != by_id_.end()) {
      it->second.allowed_origins = key.allowed_origins;
    } else {
      ApiKey memo = key;
      memo.last_used_at.reset();
      by_id_[key.id] = memo;
      by_digest_[digest_key(key.digest)] = key.id;
    }
  }
  // After the commit and before answering: a change takes effect at once.
  tell_change_listeners(key);
  return finish(std::move(key), clock_.now());
}

std::optional<KeyLimitOverride> KeyService::limits_of(std::string_view key_id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(key_id));
  if (it == by_id_.end() || it->second.limits.empty()) return std::nullopt;
  return it->second.limits;
}

Result<ApiKey> KeyService::authenticate(std::string_view presented_key) {
  if (!is_well_formed_secret(presented_key, SecretKind::kApiKey)) {
    return fail(Error::invalid_token(
        "malformed",
        "the API key is malformed (expected lk_key_ followed by 49 characters with a "
        "valid checksum)"));
  }
  const Digest digest = digest_secret(presented_key);
  std::optional<ApiKey> key;
  if (caches_trusted(trust_)) {
    std::shared_lock lock(mu_);
    auto id = by_digest_.find(digest_key(digest));
    if (id != by_digest_.end()) {
      auto it = by_id_.find(id->second);
      if (it != by_id_.end()) key = it->second;
    }
  }
  if (!key) {
    const std::uint64_t epoch = forget_epoch_.load(std::memory_order_acquire);
    auto stored = store_.find_key_by_digest(digest);
    if (!stored) return fail(stored.error());
    if (!*stored) {
      return fail(Error::invalid_token("unknown", "the API key is not known to this server"));
    }
    remember(**stored, epoch);
    key = lookup_by_id((*stored)->id).value_or(std::nullopt);
    if (!key) key = std::move(**stored);
  }
  if (!digests_equal(key->digest, digest)) {
    return fail(Error::invalid_token("unknown", "the API key is not known to this server"));
  }
  const Instant now = clock_.now();
  switch (status_of(*key, now)) {
    case KeyStatus::kInactive:
      return fail(
          Error::invalid_token("revoked", "the API key " + key->masked + " was deactivated at " +
                                              format_rfc3339(key->deactivated_at.value_or(now)))
              .with_detail("key_id", key->id));
    case KeyStatus::kExpired:
      return fail(Error::invalid_token("expired", "the API key " + key->masked + " expired at " +
                                                      format_rfc3339(key->expires_at))
                      .with_detail("key_id", key->id));
    case KeyStatus::kRotated:
      return fail(rotated_key_error(*key));
    case KeyStatus::kActive:
      break;
  }
  return finish(std::move(*key), now);
}

Error rotated_key_error(const ApiKey& key) {
  const std::string at = format_rfc3339(key.lapses_at.value_or(Instant{}));
  return Error::invalid_token("rotated", "the API key " + key.masked +
                                             " was rerolled and stopped working at " + at +
                                             "; use the key that replaced it")
      .with_detail("key_id", key.id)
      .with_detail("replaced_by", key.replaced_by)
      .with_detail("rotated_at", at);
}

Status KeyService::check_reroll(const Principal& actor, std::string_view key_id) {
  auto found = reroll_target(actor, key_id);
  if (!found) return fail(found.error());
  return {};
}

Result<ApiKey> KeyService::reroll_target(const Principal& actor, std::string_view key_id) {
  // No escalation: a token obtained from a key never mints a key (a
  // role-limited key's token would otherwise obtain its owner's full key).
  if (actor.key) {
    return fail(Error::forbidden(
        "API keys cannot be rerolled with a token obtained from an API key; use your account "
        "credentials"));
  }
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  // As deactivate(): anyone but the owner and an admin learns nothing.
  if (!*found || ((*found)->user_id != actor.user_id && !actor.is_admin())) {
    return fail(key_not_found());
  }
  // DESIGN invariant 4: a read-only key never writes.
  if (!actor.may_write()) {
    return fail(
        Error::forbidden("a read-only token cannot reroll keys").with_reason("insufficient_scope"));
  }
  // seed 002: nobody obtains a key of someone else, not even an admin (the
  // new key is revealed to whoever rerolls); an admin deactivates instead.
  if ((*found)->user_id != actor.user_id) {
    return fail(Error::forbidden(
        "only the owner of an API key can reroll it: the new key is revealed to whoever rerolls "
        "(seed 002: nobody creates keys for others); an administrator can deactivate it"));
  }
  return std::move(**found);
}

Result<RerolledKey> KeyService::reroll(const Principal& actor, std::string_view key_id,
                                       Duration previous_valid_for, const BeforeChange& before) {
  auto target = reroll_target(actor, key_id);
  if (!target) return fail(target.error());
  if (previous_valid_for < Duration::zero() ||
      previous_valid_for > std::chrono::seconds(kMaxRerollOverlapSeconds)) {
    return fail(Error::invalid_request(
        "field \"previous_valid_for_seconds\" must be an integer from 0 to " +
        std::to_string(kMaxRerollOverlapSeconds) + " (7 days)"));
  }
  const Instant now = clock_.now();
  const ApiKey& old_key = *target;
  // Said before any write; the store checks the same in its transaction.
  switch (status_of(old_key, now)) {
    case KeyStatus::kInactive:
      return fail(Error::conflict("the API key is deactivated; only an active key can be rerolled")
                      .with_reason("inactive"));
    case KeyStatus::kExpired:
      return fail(Error::conflict("the API key has expired; only an active key can be rerolled")
                      .with_reason("expired"));
    case KeyStatus::kRotated:
    case KeyStatus::kActive:
      if (!old_key.replaced_by.empty()) {
        return fail(
            Error::conflict("the API key was already rerolled; reroll the key that replaced it")
                .with_reason("already_rerolled")
                .with_detail("replaced_by", old_key.replaced_by));
      }
      break;
  }

  std::string secret = generate_secret(SecretKind::kApiKey, random_);
  ApiKey key;
  key.id = new_id("key_", random_);
  key.user_id = old_key.user_id;
  key.name = old_key.name;
  key.role_id = old_key.role_id;
  key.read_only = old_key.read_only;
  key.digest = digest_secret(secret);
  key.masked = mask_secret(secret);
  key.status = KeyStatus::kActive;
  key.created_at = now;
  key.expires_at = old_key.expires_at;  // the remaining validity, never more
  key.limits = old_key.limits;
  key.rerolled_from = old_key.id;
  // docs/origin-restrictions.md: the same restriction (the store copies
  // the list as stored, in the reroll's transaction).
  key.allowed_origins = old_key.allowed_origins;
  if (before) {
    if (auto s = before(old_key); !s) return fail(s.error());
  }
  auto stored = store_.reroll_key(old_key.id, key, now + previous_valid_for, now);
  if (!stored) {
    after_failed_reroll(old_key, previous_valid_for, now);
    tell_change_listeners(old_key);  // it may have committed
    return fail(stored.error());
  }
  remember(stored->new_key);
  // The old key's lapse is in memory before this returns: with no overlap
  // it is refused from now on.
  merge_reroll(stored->old_key);
  tell_change_listeners(stored->old_key);
  // A reroll chain: the key the old one replaced stops now (at most two).
  if (stored->predecessor) {
    merge_reroll(*stored->predecessor);
    tell_change_listeners(*stored->predecessor);
  }
  RerolledKey out;
  out.old_key = finish(std::move(stored->old_key), now);
  out.created = CreatedKey{finish(std::move(stored->new_key), now), std::move(secret)};
  return out;
}

void KeyService::merge_reroll(const ApiKey& old_key) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = by_id_.try_emplace(old_key.id, old_key);
  by_digest_[digest_key(old_key.digest)] = old_key.id;
  if (inserted) {
    it->second.last_used_at.reset();
    return;
  }
  // Only the reroll's own fields: the rest of the copy was read inside the
  // reroll's transaction, and a deactivation that committed after it (and
  // is already in memory, its tokens dropped) must stay in force.
  it->second.replaced_by = old_key.replaced_by;
  it->second.lapses_at = old_key.lapses_at;
}

void KeyService::after_failed_reroll(const ApiKey& old_key, Duration previous_valid_for,
                                     Instant now) {
  // The store's error may hide a commit (docs/security/faults.md,
  // after_commit), and a 409 "already_rerolled" means another process (or
  // an earlier unanswered reroll) replaced the key: either way memory must
  // learn the key as stored, or the old key would keep working here.
  const std::uint64_t epoch = forget_epoch_.load(std::memory_order_acquire);
  auto reread = store_.find_key(old_key.id);
  if (reread && *reread) {
    remember(**reread, epoch);
    return;
  }
  if (reread) return;  // gone from the store: nothing to keep working
  // Neither outcome is known. Fail closed like deactivate(): without an
  // overlap the old key would be refused had the reroll committed, so it
  // is refused here now. No replaced_by (no new key is known): a retry of
  // the reroll is not mistaken for "already_rerolled".
  if (previous_valid_for != Duration::zero()) return;
  std::unique_lock lock(mu_);
  auto it = by_id_.find(old_key.id);
  if (it == by_id_.end()) {
    it = by_id_.emplace(old_key.id, old_key).first;
    it->second.last_used_at.reset();
    by_digest_[digest_key(old_key.digest)] = old_key.id;
  }
  if (!it->second.lapses_at || *it->second.lapses_at > now) it->second.lapses_at = now;
}

Result<std::optional<ApiKey>> KeyService::find(std::string_view key_id) {
  auto found = lookup_by_id(key_id);
  if (!found) return fail(found.error());
  if (!*found) return std::optional<ApiKey>();
  return std::optional<ApiKey>(finish(std::move(**found), clock_.now()));
}

bool KeyService::is_active(std::string_view key_id, Instant now) {
  if (caches_trusted(trust_)) {
    std::shared_lock lock(mu_);
    auto it = by_id_.find(std::string(key_id));
    if (it != by_id_.end()) return status_of(it->second, now) == KeyStatus::kActive;
  }
  auto found = lookup_by_id(key_id);
  return found && *found && status_of(**found, now) == KeyStatus::kActive;
}

void KeyService::note_used(std::string_view key_id, Instant now) {
  std::lock_guard lock(usage_mu_);
  auto [it, inserted] = pending_used_.try_emplace(std::string(key_id), now);
  if (!inserted && it->second < now) it->second = now;
}

std::size_t KeyService::pending_last_used() const {
  std::lock_guard lock(usage_mu_);
  return pending_used_.size();
}

Result<std::size_t> KeyService::flush_last_used() {
  std::unordered_map<std::string, Instant> batch;
  {
    std::lock_guard lock(usage_mu_);
    batch.swap(pending_used_);
  }
  if (batch.empty()) return std::size_t{0};
  std::vector<KeyUsage> usages;
  usages.reserve(batch.size());
  for (const auto& [id, at] : batch) usages.push_back(KeyUsage{id, at});
  auto written = store_.record_key_usage(usages);
  std::lock_guard lock(usage_mu_);
  for (const auto& [id, at] : batch) {
    auto& target = written ? last_used_[id] : pending_used_[id];
    target = std::max(target, at);
  }
  if (!written) return fail(written.error());
  return batch.size();
}

}  // namespace latchkey::keys
