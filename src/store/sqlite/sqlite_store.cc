#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/sqlite/credential_rows.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/origin_rows.h"
#include "store/sqlite/outbox_rows.h"
#include "store/sqlite/token_rows.h"
#include "store/sqlite/user_rows.h"

namespace latchkey {

using sqlite::Connection;

namespace {

Error user_not_found() {
  // The id may be the client's: named, never echoed (docs/security/echo-and-timing.md).
  return Error::not_found("no user with the given id");
}

// Sorted, without duplicates: the order in which users come back.
NewUser normalized(NewUser user) {
  std::sort(user.modules.begin(), user.modules.end());
  user.modules.erase(std::unique(user.modules.begin(), user.modules.end()), user.modules.end());
  return user;
}

User user_of(const NewUser& created) {
  User user;
  user.id = created.id;
  user.name = created.name;
  user.type = created.type;
  user.disabled = false;
  user.api_access = created.api_access;
  user.modules = created.modules;
  user.created_at = created.created_at;
  user.updated_at = created.created_at;
  user.owner = created.owner;
  user.contact = created.contact;
  user.description = created.description;
  user.expires_at = created.expires_at;
  return user;
}

// Inserts the user, saying which of name or id is taken on kConflict.
Status insert_new_user(Connection& connection, const NewUser& user) {
  auto inserted = sqlite::insert_user(connection, user);
  if (inserted || inserted.error().code != ErrorCode::kConflict) return inserted;
  const bool name_taken = inserted.error().description.find("users.name") != std::string::npos;
  return fail(Error::conflict(name_taken ? "a user named \"" + user.name + "\" already exists"
                                         : "a user with id \"" + user.id + "\" already exists"));
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const StoreOptions& options) {
  auto db = sqlite::Database::open(options);
  if (!db) return fail(db.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options) {
  auto store = SqliteStore::open(options);
  if (!store) return fail(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Database> db)
    : db_(std::move(db)),
      policy_(*db_),
      audit_(*db_),
      keys_(*db_),
      sessions_(*db_),
      signing_keys_(*db_),
      revoked_tokens_(*db_),
      console_(*db_),
      usage_(*db_),
      outbox_(*db_) {}

SqliteStore::~SqliteStore() = default;

// --- users -----------------------------------------------------------------

Result<User> SqliteStore::create_user(const NewUser& user) {
  const NewUser clean = normalized(user);
  return db_->write([&](Connection& connection) -> Result<User> {
    if (auto s = insert_new_user(connection, clean); !s) return fail(s.error());
    return user_of(clean);
  });
}

Result<User> SqliteStore::get_user(std::string_view id) {
  auto user =
      db_->read([&](Connection& connection) { return sqlite::select_user(connection, id); });
  if (!user) return fail(user.error());
  if (!*user) return fail(user_not_found());
  return std::move(**user);
}

Result<std::optional<User>> SqliteStore::find_user_by_name(std::string_view name) {
  return db_->read(
      [&](Connection& connection) { return sqlite::select_user_by_name(connection, name); });
}

Result<std::vector<User>> SqliteStore::list_users() {
  return db_->read([&](Connection& connection) { return sqlite::select_users(connection); });
}

Result<User> SqliteStore::update_user(std::string_view id, const UserUpdate& update, Instant now) {
  return db_->write([&](Connection& connection) -> Result<User> {
    if (update.disabled.value_or(false)) {
      // seed 000: disabling the owning user deletes their tokens, atomically
      // with the update.
      const sqlite::TokenEnding ending{TokenEndReason::kUserDisabled, now, {}, {}, {}};
      if (auto ended = sqlite::end_tokens_of_user(connection, id, ending); !ended) {
        return fail(ended.error());
      }
    }
    auto updated = sqlite::update_user_row(connection, id, update, now);
    if (!updated) return fail(updated.error());
    if (!*updated) return fail(user_not_found());
    auto user = sqlite::select_user(connection, id);
    if (!user) return fail(user.error());
    if (!*user) return fail(user_not_found());
    return std::move(**user);
  });
}

Result<std::vector<User>> SqliteStore::list_expired_service_accounts(Instant now) {
  return db_->read([&](Connection& connection) -> Result<std::vector<User>> {
    return sqlite::select_expired_service_accounts(connection, now);
  });
}

Result<std::optional<User>> SqliteStore::disable_expired_service_account(
    std::string_view id, Instant now, const OutboxRowsFor& events) {
  return db_->write([&](Connection& connection) -> Result<std::optional<User>> {
    auto disabled = sqlite::disable_if_expired_row(connection, id, now);
    if (!disabled) return fail(disabled.error());
    if (!*disabled) {
      auto exists = sqlite::select_user_disabled(connection, id);
      if (!exists) return fail(exists.error());
      if (!*exists) return fail(user_not_found());
      return std::optional<User>();
    }
    // seed 000: a disabled user's tokens are deleted, in the same transaction.
    const sqlite::TokenEnding ending{TokenEndReason::kUserDisabled, now, {}, {}, {}};
    if (auto ended = sqlite::end_tokens_of_user(connection, id, ending); !ended) {
      return fail(ended.error());
    }
    auto user = sqlite::select_user(connection, id);
    if (!user) return fail(user.error());
    if (!*user) return fail(user_not_found());
    // Its webhook events commit with it: none is lost to a crash after it.
    if (events) {
      for (const NewOutboxEvent& row : events(**user)) {
        if (auto stored = sqlite::insert_outbox_row(connection, row); !stored) {
          return fail(stored.error());
        }
      }
    }
    return std::optional<User>(std::move(**user));
  });
}

Result<User> SqliteStore::set_user_allowed_origins(std::string_view id,
                                                   const std::vector<std::string>& cidrs,
                                                   Instant now) {
  return db_->write([&](Connection& connection) -> Result<User> {
    auto touched = sqlite::update_user_row(connection, id, UserUpdate{}, now);
    if (!touched) return fail(touched.error());
    if (!*touched) return fail(user_not_found());
    if (auto s = sqlite::replace_allowed_origins(connection, sqlite::OriginOwner::kUser, id, cidrs);
        !s) {
      return fail(s.error());
    }
    auto user = sqlite::select_user(connection, id);
    if (!user) return fail(user.error());
    if (!*user) return fail(user_not_found());
    return std::move(**user);
  });
}

Result<bool> SqliteStore::has_users() {
  return db_->read([&](Connection& connection) -> Result<bool> {
    auto count = sqlite::count_users(connection);
    if (!count) return fail(count.error());
    return *count > 0;
  });
}

Result<bool> SqliteStore::bootstrap_first_user(const NewUser& user,
                                               const ClientCredential& credential) {
  return bootstrap_first_user(user, credential, std::string());
}

Result<bool> SqliteStore::bootstrap_first_user(const NewUser& user,
                                               const ClientCredential& credential,
                                               const std::string& console_password_hash) {
  const NewUser clean = normalized(user);
  return db_->write([&](Connection& connection) -> Result<bool> {
    auto count = sqlite::count_users(connection);
    if (!count) return fail(count.error());
    if (*count > 0) return false;
    if (auto s = insert_new_user(connection, clean); !s) return fail(s.error());
    if (auto s = sqlite::upsert_client_credential(connection, credential); !s) {
      return fail(s.error());
    }
    if (!console_password_hash.empty()) {
      if (auto s = sqlite::upsert_console_password(connection, clean.id, console_password_hash,
                                                   clean.created_at);
          !s) {
        return fail(s.error());
      }
    }
    return true;
  });
}

// --- client credentials ------------------------------------------------------

Status SqliteStore::put_client_credential(const ClientCredential& credential) {
  return db_->write([&](Connection& connection) -> Status {
    return sqlite::upsert_client_credential(connection, credential);
  });
}

Result<std::optional<ClientCredential>> SqliteStore::find_client_credential(
    std::string_view client_id) {
  return db_->read([&](Connection& connection) {
    return sqlite::select_credential_by_client_id(connection, client_id);
  });
}

Result<std::optional<ClientCredential>> SqliteStore::client_credential_of_user(
    std::string_view user_id) {
  return db_->read([&](Connection& connection) {
    return sqlite::select_credential_of_user(connection, user_id);
  });
}

Result<ClientCredential> SqliteStore::set_client_secret(std::string_view user_id,
                                                        std::string_view client_id_if_new,
                                                        const Digest& secret_digest, Instant at,
                                                        bool only_if_none,
                                                        Duration previous_valid_for) {
  return db_->write([&](Connection& connection) -> Result<ClientCredential> {
    // Read and write in one job: two concurrent enrolments or resets cannot
    // both see "no credential", and the client id is never replaced.
    auto existing = sqlite::select_credential_of_user(connection, user_id);
    if (!existing) return fail(existing.error());
    if (*existing && only_if_none) {
      return fail(Error::forbidden("the user already has credentials"));
    }
    ClientCredential credential{*existing ? (*existing)->client_id : std::string(client_id_if_new),
                                std::string(user_id), secret_digest, at};
    // Only the secret being replaced can become the previous one: an older
    // previous secret is dropped here (at most two live secrets).
    if (*existing && previous_valid_for > Duration::zero()) {
      credential.previous_secret_digest = (*existing)->secret_digest;
      credential.previous_expires_at = at + previous_valid_for;
    }
    if (auto s = sqlite::upsert_client_credential(connection, credential); !s) {
      return fail(s.error());
    }
    credential.replaced = existing->has_value();
    return credential;
  });
}

Result<std::optional<ClientCredential>> SqliteStore::retire_previous_client_secret(
    std::string_view user_id, Instant at) {
  return db_->write([&](Connection& connection) -> Result<std::optional<ClientCredential>> {
    auto changed = sqlite::end_previous_secret(connection, user_id, at);
    if (!changed) return fail(changed.error());
    if (*changed == 0) return std::optional<ClientCredential>();
    return sqlite::select_credential_of_user(connection, user_id);
  });
}

// --- account tokens ------------------------------------------------------------

Status SqliteStore::issue_account_token(const AccountToken& token) {
  // Recorded for the interference alarm like every issuance; never alarms.
  auto issued = issue_watched_account_token(token, InterferenceRule{.threshold = 0});
  if (!issued) return fail(issued.error());
  return {};
}

Result<std::optional<TokenInterference>> SqliteStore::issue_watched_account_token(
    const AccountToken& token, const InterferenceRule& rule) {
  return db_->write([&](Connection& connection) -> Result<std::optional<TokenInterference>> {
    // Checked inside the transaction, so an issuance racing a disable cannot
    // leave a live token behind a disabled user.
    auto disabled = sqlite::select_user_disabled(connection, token.user_id);
    if (!disabled) return fail(disabled.error());
    if (!*disabled) return fail(user_not_found());
    if (**disabled) {
      return fail(Error::conflict("the user is disabled").with_reason("user_disabled"));
    }
    // seed 000: every call deletes every existing token of the user, then
    // issues a fresh one; the superseded ones remember who replaced them.
    const sqlite::TokenEnding ending{TokenEndReason::kSuperseded, token.issued_at, token.client_id,
                                     token.issuer_ip, token.issuer_user_agent};
    if (auto ended = sqlite::end_tokens_of_user(connection, token.user_id, ending); !ended) {
      return fail(ended.error());
    }
    auto inserted = sqlite::insert_account_token(connection, token);
    if (!inserted && inserted.error().code == ErrorCode::kConflict) {
      return fail(Error::conflict("the token digest is already live for another user"));
    }
    if (!inserted) return fail(inserted.error());
    // The interference alarm counts in the same transaction (docs/origin-restrictions.md).
    return sqlite::watch_issuance(connection, token, rule);
  });
}

Result<std::optional<TokenInterference>> SqliteStore::find_token_interference(
    std::string_view user_id) {
  return db_->read(
      [&](Connection& connection) { return sqlite::select_interference(connection, user_id); });
}

Result<AccountTokenLookup> SqliteStore::find_account_token(const Digest& digest) {
  return db_->read([&](Connection& connection) -> Result<AccountTokenLookup> {
    AccountTokenLookup lookup;
    auto live = sqlite::select_account_token(connection, digest);
    if (!live) return fail(live.error());
    lookup.live = std::move(*live);
    if (lookup.live) return lookup;
    auto ended = sqlite::select_tombstone(connection, digest);
    if (!ended) return fail(ended.error());
    lookup.ended = std::move(*ended);
    return lookup;
  });
}

Result<bool> SqliteStore::end_account_token(const Digest& digest, TokenEndReason reason,
                                            Instant at) {
  return db_->write([&](Connection& connection) {
    return sqlite::end_token(connection, digest, sqlite::TokenEnding{reason, at, {}, {}, {}});
  });
}

Result<int> SqliteStore::end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                                    Instant at) {
  return db_->write([&](Connection& connection) {
    return sqlite::end_tokens_of_user(connection, user_id,
                                      sqlite::TokenEnding{reason, at, {}, {}, {}});
  });
}

Result<int> SqliteStore::prune_tombstones(Instant now) {
  return db_->write([&](Connection& connection) {
    return sqlite::delete_tombstones_expired_before(connection, now);
  });
}

}  // namespace latchkey
