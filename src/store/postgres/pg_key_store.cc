#include "store/postgres/pg_key_store.h"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_key_rows.h"
#include "store/postgres/pg_origin_rows.h"
#include "store/postgres/pg_text.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

Param optional_int(const std::optional<int>& value) { return value ? integer(*value) : null(); }

// The text of a key to be written (pg_text.h).
Status check_key_text(const ApiKey& key) {
  if (auto s = check_storable_text("an API key's ids, name and role",
                                   {key.id, key.user_id, key.name, key.role_id, key.masked});
      !s) {
    return s;
  }
  for (const std::string& cidr : key.allowed_origins) {
    if (auto s = check_storable_text("an allowed origin", {cidr}); !s) return s;
  }
  return {};
}

}  // namespace

Status PgKeyStore::insert_key(const ApiKey& key) {
  if (auto s = check_key_text(key); !s) return s;
  ApiKey row = key;
  row.rerolled_from.clear();  // insert_key stores a key that replaced nothing
  row.limits = {};            // and without an override (set_key_limits sets one)
  return db_.write([&](Connection& connection) { return insert_key_row(connection, row); });
}

Result<std::optional<ApiKey>> PgKeyStore::find_key(std::string_view id) {
  if (!is_storable_text(id)) return std::optional<ApiKey>();  // names no key
  return db_.read([&](Connection& connection) { return select_key(connection, id); });
}

Result<std::optional<ApiKey>> PgKeyStore::find_key_by_digest(const Digest& digest) {
  return db_.read([&](Connection& connection) { return select_key_by_digest(connection, digest); });
}

Result<std::vector<ApiKey>> PgKeyStore::list_keys_of_user(std::string_view user_id) {
  if (!is_storable_text(user_id)) return std::vector<ApiKey>();
  return db_.read([&](Connection& connection) { return select_keys(connection, user_id); });
}

Result<std::vector<ApiKey>> PgKeyStore::list_keys() {
  return db_.read([&](Connection& connection) { return select_keys(connection, std::nullopt); });
}

Result<std::optional<ApiKey>> PgKeyStore::deactivate_key(std::string_view id, Instant at,
                                                         std::string_view by_user_id) {
  if (!is_storable_text(id)) return std::optional<ApiKey>();
  if (auto s = check_storable_text("the deactivating user's id", {by_user_id}); !s) {
    return fail(s.error());
  }
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    // READ COMMITTED re-checks the condition on the newest row version after
    // waiting for a concurrent writer, so the first deactivation is kept.
    auto changed = connection.exec(
        "UPDATE api_keys SET deactivated_at = $2, deactivated_by = $3 "
        "WHERE id = $1 AND deactivated_at IS NULL",
        {text(id), instant(at), text(by_user_id)});
    if (!changed) return fail(changed.error());
    return select_key(connection, id);
  });
}

Result<int> PgKeyStore::record_key_usage(const std::vector<KeyUsage>& usages) {
  if (usages.empty()) return 0;
  // One observation per key (the latest), so that a key counts once.
  std::map<std::string_view, Instant> latest;
  for (const KeyUsage& usage : usages) {
    if (!is_storable_text(usage.key_id)) continue;  // names no key: ignored
    auto [it, inserted] = latest.try_emplace(usage.key_id, usage.used_at);
    if (!inserted && usage.used_at > it->second) it->second = usage.used_at;
  }
  if (latest.empty()) return 0;
  std::vector<std::string_view> ids;
  std::vector<std::int64_t> times;
  for (const auto& [id, at] : latest) {
    ids.push_back(id);
    times.push_back(to_unix_millis(at));
  }
  const Param id_array = array_param(ids);
  const Param time_array = array_param(times);
  return db_.write([&](Connection& connection) -> Result<int> {
    // Rows locked in one order on every node: two flushes naming the same
    // keys wait for each other instead of deadlocking.
    if (auto locked = connection.exec(
            "SELECT id FROM api_keys WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
            {id_array});
        !locked) {
      return fail(locked.error());
    }
    auto changed = connection.exec(
        "UPDATE api_keys k SET last_used_at = u.at "
        "FROM unnest($1::text[], $2::bigint[]) AS u (id, at) "
        "WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
        {id_array, time_array});
    if (!changed) return fail(changed.error());
    return static_cast<int>(changed->affected());
  });
}

Result<KeyReroll> PgKeyStore::reroll_key(std::string_view old_id, const ApiKey& new_key,
                                         Instant lapses_at, Instant at) {
  if (!is_storable_text(old_id)) return fail(Error::not_found("no API key with the given id"));
  if (auto s = check_key_text(new_key); !s) return fail(s.error());
  return db_.write([&](Connection& connection) -> Result<KeyReroll> {
    // Checked and written under the old key's row lock: of two nodes
    // rerolling one key, the second waits, then sees replaced_by and is
    // refused; a deactivation committed meanwhile is seen the same way.
    auto old_key = select_key(connection, old_id, /*lock=*/true);
    if (!old_key) return fail(old_key.error());
    if (!*old_key) return fail(Error::not_found("no API key with the given id"));
    const ApiKey& old = **old_key;
    if (old.deactivated_at) {
      return fail(Error::conflict("the API key is deactivated; only an active key can be rerolled")
                      .with_reason("inactive"));
    }
    if (!old.replaced_by.empty()) {
      return fail(
          Error::conflict("the API key was already rerolled; reroll the key that replaced it")
              .with_reason("already_rerolled")
              .with_detail("replaced_by", old.replaced_by));
    }
    if (at >= old.expires_at) {
      return fail(Error::conflict("the API key has expired; only an active key can be rerolled")
                      .with_reason("expired"));
    }
    // The old key's allowed origins as locked now (a change made after the
    // caller read the key counts), so the new key and its tokens are
    // restricted from their first use.
    ApiKey row = new_key;
    row.rerolled_from = std::string(old_id);
    row.allowed_origins = old.allowed_origins;
    if (auto inserted = insert_key_row(connection, row); !inserted) {
      return fail(inserted.error());
    }
    auto marked = connection.exec(
        "UPDATE api_keys SET replaced_by = $2, lapses_at = $3 WHERE id = $1 AND replaced_by = ''",
        {text(old_id), text(new_key.id), instant(lapses_at)});
    if (!marked) return fail(marked.error());
    if (marked->affected() != 1)
      return fail(Error::internal("the rerolled key could not be marked"));
    // docs/rotation.md: at most two keys of a reroll chain work at once, so
    // the key the old one replaced stops now if its overlap still runs.
    std::optional<ApiKey> predecessor;
    if (!old.rerolled_from.empty()) {
      auto ended = connection.exec(
          "UPDATE api_keys SET lapses_at = $1 WHERE id = $2 AND replaced_by = $3 AND lapses_at > "
          "$1",
          {instant(at), text(old.rerolled_from), text(old_id)});
      if (!ended) return fail(ended.error());
      if (ended->affected() == 1) {
        auto found = select_key(connection, old.rerolled_from);
        if (!found) return fail(found.error());
        predecessor = std::move(*found);
      }
    }
    auto old_after = select_key(connection, old_id);
    if (!old_after) return fail(old_after.error());
    auto new_after = select_key(connection, new_key.id);
    if (!new_after) return fail(new_after.error());
    if (!*old_after || !*new_after) return fail(Error::internal("a rerolled key vanished"));
    return KeyReroll{std::move(**old_after), std::move(**new_after), std::move(predecessor)};
  });
}

Result<std::optional<ApiKey>> PgKeyStore::set_key_limits(std::string_view id,
                                                         const KeyLimitOverride& limits) {
  if (!is_storable_text(id)) return std::optional<ApiKey>();
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    auto changed = connection.exec(
        "UPDATE api_keys SET rate_limit_per_minute = $2, concurrency_per_route = $3 WHERE id = $1",
        {text(id), optional_int(limits.requests_per_minute),
         optional_int(limits.concurrent_per_route)});
    if (!changed) return fail(changed.error());
    if (changed->affected() == 0) return std::optional<ApiKey>();
    return select_key(connection, id);
  });
}

Result<std::optional<ApiKey>> PgKeyStore::set_key_allowed_origins(
    std::string_view id, const std::vector<std::string>& cidrs) {
  if (!is_storable_text(id)) return std::optional<ApiKey>();
  for (const std::string& cidr : cidrs) {
    if (auto s = check_storable_text("an allowed origin", {cidr}); !s) return fail(s.error());
  }
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    // Under the key's row lock, as reroll_key reads the list: a reroll sees
    // the list before or after this change, never half of it.
    auto key = select_key(connection, id, /*lock=*/true);
    if (!key || !*key) return key;
    if (auto s = replace_allowed_origins(connection, OriginOwner::kKey, id, cidrs); !s)
      return fail(s.error());
    return select_key(connection, id);
  });
}

std::unique_ptr<KeyStore> make_pg_key_store(Database& db) {
  return std::make_unique<PgKeyStore>(db);
}

}  // namespace latchkey::pg
