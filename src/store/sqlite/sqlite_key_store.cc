#include "store/sqlite/sqlite_key_store.h"

#include <string>
#include <utility>

#include "store/sqlite/key_rows.h"
#include "store/sqlite/origin_rows.h"

namespace latchkey::sqlite {

Status SqliteKeyStore::insert_key(const ApiKey& key) {
  return db_.write([&](Connection& connection) -> Status {
    auto inserted = insert_key_row(connection, key);
    if (inserted) return {};
    if (inserted.error().code == ErrorCode::kConflict) {
      return fail(Error::conflict("an API key with this id or digest already exists"));
    }
    if (inserted.error().code == ErrorCode::kNotFound) {
      return fail(Error::not_found("no user with the given id"));
    }
    return inserted;
  });
}

Result<std::optional<ApiKey>> SqliteKeyStore::find_key(std::string_view id) {
  return db_.read([&](Connection& connection) { return select_key(connection, id); });
}

Result<std::optional<ApiKey>> SqliteKeyStore::find_key_by_digest(const Digest& digest) {
  return db_.read([&](Connection& connection) { return select_key_by_digest(connection, digest); });
}

Result<std::vector<ApiKey>> SqliteKeyStore::list_keys_of_user(std::string_view user_id) {
  return db_.read([&](Connection& connection) { return select_keys(connection, user_id); });
}

Result<std::vector<ApiKey>> SqliteKeyStore::list_keys() {
  return db_.read([&](Connection& connection) { return select_keys(connection, std::nullopt); });
}

Result<std::optional<ApiKey>> SqliteKeyStore::deactivate_key(std::string_view id, Instant at,
                                                             std::string_view by_user_id) {
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    auto changed = deactivate_key_row(connection, id, at, by_user_id);
    if (!changed) return fail(changed.error());
    return select_key(connection, id);
  });
}

Result<int> SqliteKeyStore::record_key_usage(const std::vector<KeyUsage>& usages) {
  if (usages.empty()) return 0;
  return db_.write([&](Connection& connection) -> Result<int> {
    int changed = 0;
    for (const KeyUsage& usage : usages) {
      auto n = update_key_last_used(connection, usage.key_id, usage.used_at);
      if (!n) return fail(n.error());
      changed += *n;
    }
    return changed;
  });
}

Result<KeyReroll> SqliteKeyStore::reroll_key(std::string_view old_id, const ApiKey& new_key,
                                             Instant lapses_at, Instant at) {
  return db_.write([&](Connection& connection) -> Result<KeyReroll> {
    // Checked and written in one job: two concurrent rerolls of one key
    // cannot both succeed, and a key deactivated meanwhile is not rerolled.
    auto old_key = select_key(connection, old_id);
    if (!old_key) return fail(old_key.error());
    if (!*old_key) return fail(Error::not_found("no API key with the given id"));
    if ((*old_key)->deactivated_at) {
      return fail(Error::conflict("the API key is deactivated; only an active key can be rerolled")
                      .with_reason("inactive"));
    }
    if (!(*old_key)->replaced_by.empty()) {
      return fail(
          Error::conflict("the API key was already rerolled; reroll the key that replaced it")
              .with_reason("already_rerolled")
              .with_detail("replaced_by", (*old_key)->replaced_by));
    }
    if (at >= (*old_key)->expires_at) {
      return fail(Error::conflict("the API key has expired; only an active key can be rerolled")
                      .with_reason("expired"));
    }
    auto inserted = insert_key_row(connection, new_key);
    if (!inserted) {
      if (inserted.error().code == ErrorCode::kConflict) {
        return fail(Error::conflict("an API key with this id or digest already exists"));
      }
      return fail(inserted.error());
    }
    if (auto linked = link_rerolled_key(connection, new_key, old_id); !linked) {
      return fail(linked.error());
    }
    // The old key's allowed origins as they are now (a change made after
    // the caller read the key counts), so the new key and its tokens are
    // restricted from their first use.
    if (auto s = replace_allowed_origins(connection, OriginOwner::kKey, new_key.id,
                                         (*old_key)->allowed_origins);
        !s) {
      return fail(s.error());
    }
    auto marked = mark_key_replaced(connection, old_id, new_key.id, lapses_at);
    if (!marked) return fail(marked.error());
    if (*marked != 1) return fail(Error::internal("the rerolled key could not be marked"));
    // docs/rotation.md: at most two keys of a reroll chain work at once, so
    // the key the old one replaced stops now if its overlap still runs.
    std::optional<ApiKey> predecessor;
    if (!(*old_key)->rerolled_from.empty()) {
      auto ended = end_key_overlap(connection, (*old_key)->rerolled_from, old_id, at);
      if (!ended) return fail(ended.error());
      if (*ended == 1) {
        auto found = select_key(connection, (*old_key)->rerolled_from);
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

Result<std::optional<ApiKey>> SqliteKeyStore::set_key_limits(std::string_view id,
                                                             const KeyLimitOverride& limits) {
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    auto changed = update_key_limits(connection, id, limits);
    if (!changed) return fail(changed.error());
    if (*changed == 0) return std::optional<ApiKey>();
    return select_key(connection, id);
  });
}

Result<std::optional<ApiKey>> SqliteKeyStore::set_key_allowed_origins(
    std::string_view id, const std::vector<std::string>& cidrs) {
  return db_.write([&](Connection& connection) -> Result<std::optional<ApiKey>> {
    auto key = select_key(connection, id);
    if (!key || !*key) return key;
    if (auto s = replace_allowed_origins(connection, OriginOwner::kKey, id, cidrs); !s) {
      return fail(s.error());
    }
    return select_key(connection, id);
  });
}

}  // namespace latchkey::sqlite
