#include "store/postgres/pg_store.h"

#include <algorithm>
#include <utility>

#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/event_outbox_store.h"
#include "store/key_store.h"
#include "store/policy_store.h"
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_console_password_rows.h"
#include "store/postgres/pg_credential_rows.h"
#include "store/postgres/pg_origin_rows.h"
#include "store/postgres/pg_outbox_rows.h"
#include "store/postgres/pg_text.h"
#include "store/postgres/pg_token_rows.h"
#include "store/postgres/pg_user_rows.h"
#include "store/postgres/pg_values.h"
#include "store/revoked_token_store.h"
#include "store/session_store.h"
#include "store/signing_key_store.h"
#include "store/usage_store.h"

namespace latchkey::pg {
namespace {

// "lk-boot" in ASCII: bootstrap_first_user runs on one node at a time.
constexpr std::int64_t kBootstrapLock = 0x6c6b2d626f6f74;

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
  auto inserted = insert_user(connection, user);
  if (inserted || inserted.error().code != ErrorCode::kConflict) return inserted;
  const bool name_taken = inserted.error().description.find("users_name_key") != std::string::npos;
  return fail(Error::conflict(name_taken ? "a user named \"" + user.name + "\" already exists"
                                         : "a user with id \"" + user.id + "\" already exists"));
}

// The user as stored, kNotFound when gone.
Result<User> reread_user(Connection& connection, std::string_view id) {
  auto user = select_user(connection, id);
  if (!user) return fail(user.error());
  if (!*user) return fail(user_not_found());
  return std::move(**user);
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::open(const PgStoreOptions& options) {
  auto db = Database::open(
      PoolOptions{options.conninfo, std::max(options.pool_size, 1), options.acquire_timeout});
  if (!db) return fail(db.error());
  return std::unique_ptr<PgStore>(new PgStore(std::move(*db), options));
}

PgStore::PgStore(std::unique_ptr<Database> db, const PgStoreOptions& options)
    : db_(std::move(db)),
      issuances_(std::make_unique<IssuanceBatcher>(*db_, options.issuance_batch,
                                                   options.issuance_in_flight)),
      policy_(make_pg_policy_store(*db_)),
      audit_(make_pg_audit_store(*db_)),
      keys_(make_pg_key_store(*db_)),
      sessions_(make_pg_session_store(*db_)),
      signing_keys_(make_pg_signing_key_store(*db_)),
      revoked_tokens_(make_pg_revoked_token_store(*db_)),
      console_(make_pg_console_store(*db_)),
      usage_(make_pg_usage_store(*db_)),
      outbox_(make_pg_outbox_store(*db_)) {}

PgStore::~PgStore() = default;

Status PgStore::ping() {
  return db_->read([](Connection& c) -> Status {
    auto rows = c.exec("SELECT 1");
    if (!rows) return fail(rows.error());
    return {};
  });
}

// --- users -------------------------------------------------------------------

Result<User> PgStore::create_user(const NewUser& user) {
  const NewUser clean = normalized(user);
  return db_->write([&](Connection& c) -> Result<User> {
    if (auto s = insert_new_user(c, clean); !s) return fail(s.error());
    return user_of(clean);
  });
}

Result<User> PgStore::get_user(std::string_view id) {
  return db_->read([&](Connection& c) { return reread_user(c, id); });
}

Result<std::optional<User>> PgStore::find_user_by_name(std::string_view name) {
  return db_->read([&](Connection& c) { return select_user_by_name(c, name); });
}

Result<std::vector<User>> PgStore::list_users() {
  return db_->read([&](Connection& c) { return select_users(c); });
}

Result<User> PgStore::update_user(std::string_view id, const UserUpdate& update, Instant now) {
  return db_->write([&](Connection& c) -> Result<User> {
    // The row lock first: an issuance on another node either committed
    // before (its token is ended below) or waits and then sees "disabled".
    auto locked = lock_user(c, id);
    if (!locked) return fail(locked.error());
    if (!*locked) return fail(user_not_found());
    if (update.disabled.value_or(false)) {
      const TokenEnding ending{TokenEndReason::kUserDisabled, now, {}, {}, {}};
      if (auto ended = end_tokens_of_user(c, id, ending); !ended) return fail(ended.error());
    }
    auto updated = update_user_row(c, id, update, now);
    if (!updated) return fail(updated.error());
    if (!*updated) return fail(user_not_found());
    return reread_user(c, id);
  });
}

Result<User> PgStore::set_user_allowed_origins(std::string_view id,
                                               const std::vector<std::string>& cidrs, Instant now) {
  if (!is_storable_text(id)) return fail(user_not_found());  // names no user
  return db_->write([&](Connection& c) -> Result<User> {
    auto touched = update_user_row(c, id, UserUpdate{}, now);
    if (!touched) return fail(touched.error());
    if (!*touched) return fail(user_not_found());
    if (auto s = replace_allowed_origins(c, OriginOwner::kUser, id, cidrs); !s) {
      return fail(s.error());
    }
    return reread_user(c, id);
  });
}

Result<bool> PgStore::has_users() {
  return db_->read([](Connection& c) { return any_user(c); });
}

Result<std::vector<User>> PgStore::list_expired_service_accounts(Instant now) {
  return db_->read([&](Connection& c) { return select_expired_service_accounts(c, now); });
}

Result<std::optional<User>> PgStore::disable_expired_service_account(std::string_view id,
                                                                     Instant now,
                                                                     const OutboxRowsFor& events) {
  if (!is_storable_text(id)) return fail(user_not_found());  // names no user
  return db_->write([&](Connection& c) -> Result<std::optional<User>> {
    // The UPDATE locks the row, so it serializes with issuances.
    auto disabled = disable_if_expired_row(c, id, now);
    if (!disabled) return fail(disabled.error());
    if (!*disabled) {
      auto exists = lock_user(c, id);
      if (!exists) return fail(exists.error());
      if (!*exists) return fail(user_not_found());
      return std::optional<User>();
    }
    const TokenEnding ending{TokenEndReason::kUserDisabled, now, {}, {}, {}};
    if (auto ended = end_tokens_of_user(c, id, ending); !ended) return fail(ended.error());
    auto user = reread_user(c, id);
    if (!user) return fail(user.error());
    // Its webhook events commit with it, or neither does.
    if (events) {
      for (const NewOutboxEvent& row : events(*user)) {
        if (auto stored = insert_outbox_row(c, row); !stored) return fail(stored.error());
      }
    }
    return std::optional<User>(std::move(*user));
  });
}

Result<bool> PgStore::bootstrap_first_user(const NewUser& user,
                                           const ClientCredential& credential) {
  return bootstrap_first_user(user, credential, std::string());
}

Result<bool> PgStore::bootstrap_first_user(const NewUser& user, const ClientCredential& credential,
                                           const std::string& console_password_hash) {
  const NewUser clean = normalized(user);
  return db_->write([&](Connection& c) -> Result<bool> {
    // Nodes starting at once: one bootstraps, the others then see its user
    // (the check runs after the lock, with a fresh snapshot).
    if (auto locked = c.exec("SELECT pg_advisory_xact_lock($1::bigint)", {integer(kBootstrapLock)});
        !locked) {
      return fail(locked.error());
    }
    auto any = any_user(c);
    if (!any) return fail(any.error());
    if (*any) return false;
    if (auto s = insert_new_user(c, clean); !s) return fail(s.error());
    if (auto s = upsert_client_credential(c, credential); !s) return fail(s.error());
    if (!console_password_hash.empty()) {
      if (auto s = upsert_console_password(c, clean.id, console_password_hash, clean.created_at);
          !s) {
        return fail(s.error());
      }
    }
    return true;
  });
}

// --- client credentials --------------------------------------------------------

Status PgStore::put_client_credential(const ClientCredential& credential) {
  return db_->write(
      [&](Connection& c) -> Status { return upsert_client_credential(c, credential); });
}

Result<std::optional<ClientCredential>> PgStore::find_client_credential(
    std::string_view client_id) {
  return db_->read([&](Connection& c) { return select_credential_by_client_id(c, client_id); });
}

Result<std::optional<ClientCredential>> PgStore::client_credential_of_user(
    std::string_view user_id) {
  return db_->read([&](Connection& c) { return select_credential_of_user(c, user_id); });
}

Result<ClientCredential> PgStore::set_client_secret(std::string_view user_id,
                                                    std::string_view client_id_if_new,
                                                    const Digest& secret_digest, Instant at,
                                                    bool only_if_none,
                                                    Duration previous_valid_for) {
  return db_->write([&](Connection& c) -> Result<ClientCredential> {
    // The user's row lock: two enrolments or resets on different nodes
    // cannot both see "no credential", and the client id never changes.
    auto locked = lock_user(c, user_id);
    if (!locked) return fail(locked.error());
    if (!*locked) return fail(user_not_found());
    auto existing = select_credential_of_user(c, user_id);
    if (!existing) return fail(existing.error());
    if (*existing && only_if_none) {
      return fail(Error::forbidden("the user already has credentials"));
    }
    ClientCredential credential{*existing ? (*existing)->client_id : std::string(client_id_if_new),
                                std::string(user_id), secret_digest, at};
    if (*existing && previous_valid_for > Duration::zero()) {
      credential.previous_secret_digest = (*existing)->secret_digest;
      credential.previous_expires_at = at + previous_valid_for;
    }
    if (auto s = upsert_client_credential(c, credential); !s) return fail(s.error());
    credential.replaced = existing->has_value();
    return credential;
  });
}

Result<std::optional<ClientCredential>> PgStore::retire_previous_client_secret(
    std::string_view user_id, Instant at) {
  return db_->write([&](Connection& c) -> Result<std::optional<ClientCredential>> {
    auto changed = end_previous_secret(c, user_id, at);
    if (!changed) return fail(changed.error());
    if (*changed == 0) return std::optional<ClientCredential>();
    return select_credential_of_user(c, user_id);
  });
}

// --- account tokens --------------------------------------------------------------

Status PgStore::issue_account_token(const AccountToken& token) {
  // Recorded for the interference alarm like every issuance; never alarms.
  auto issued = issue_watched_account_token(token, InterferenceRule{.threshold = 0});
  if (!issued) return fail(issued.error());
  return {};
}

Result<std::optional<TokenInterference>> PgStore::issue_watched_account_token(
    const AccountToken& token, const InterferenceRule& rule) {
  if (!is_storable_text(token.user_id)) return fail(user_not_found());  // names no user
  const Instant since = token.issued_at - rule.window;  // the window is (since, now]
  // One round trip (lk_issue_account_token, pg_schema_core.cc), shared with
  // the node's concurrent issuances (pg_issuance_batcher.h): the user's row
  // lock, ending the old tokens, the insert and the issuance record run in
  // the server as one statement, in autocommit. Invariant 1 across nodes:
  // every issuer of this user queues on the user's row; a racing disable is
  // seen. Run again after a broken connection, it changes nothing twice.
  // The threshold is clamped: LIMIT threshold + 1 must not overflow.
  auto issued = issuances_->issue(token, since, std::clamp(rule.threshold, 0, 1'000'000));
  if (!issued && issued.error().code == ErrorCode::kConflict) {
    return fail(Error::conflict("the token digest is already live for another user"));
  }
  if (!issued) return fail(issued.error());
  if (issued->outcome == "no_user") return fail(user_not_found());
  if (issued->outcome == "disabled") {
    return fail(Error::conflict("the user is disabled").with_reason("user_disabled"));
  }
  // One address cannot make two origins, and at most `threshold` issuances
  // do not alarm: the rule cannot fire (the common case, decided in the
  // issuance's statement).
  if (rule.threshold <= 0 || !issued->several_addresses ||
      issued->window_issuances <= rule.threshold) {
    return std::optional<TokenInterference>();
  }
  // Over the threshold from two addresses or more (rare): the rule is
  // applied under the user's row lock, counting the window again, in a
  // transaction of its own.
  return db_->write([&](Connection& c) -> Result<std::optional<TokenInterference>> {
    auto locked = lock_user(c, token.user_id);
    if (!locked) return fail(locked.error());
    if (!*locked) return fail(user_not_found());
    auto window = c.exec(
        "SELECT COUNT(*), COALESCE(MIN(issued_at), 0) FROM account_token_issuances"
        " WHERE user_id = $1 AND issued_at > $2::bigint",
        {text(token.user_id), instant(since)});
    if (!window) return fail(window.error());
    return apply_interference_rule(c, token, rule, static_cast<int>(int_at(*window, 0, 0)),
                                   instant_at(*window, 0, 1));
  });
}

Result<std::optional<TokenInterference>> PgStore::find_token_interference(
    std::string_view user_id) {
  return db_->read([&](Connection& c) { return select_interference(c, user_id); });
}

Result<AccountTokenLookup> PgStore::find_account_token(const Digest& digest) {
  return db_->read([&](Connection& c) -> Result<AccountTokenLookup> {
    // Two statements: a token ended between them is found by the second
    // (ending moves it in one statement).
    AccountTokenLookup lookup;
    auto live = select_account_token(c, digest);
    if (!live) return fail(live.error());
    lookup.live = std::move(*live);
    if (lookup.live) return lookup;
    auto ended = select_tombstone(c, digest);
    if (!ended) return fail(ended.error());
    lookup.ended = std::move(*ended);
    return lookup;
  });
}

Result<bool> PgStore::end_account_token(const Digest& digest, TokenEndReason reason, Instant at) {
  return db_->write([&](Connection& c) {
    return end_token(c, digest, TokenEnding{reason, at, {}, {}, {}});
  });
}

Result<int> PgStore::end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                                Instant at) {
  if (!is_storable_text(user_id)) return 0;  // names no user
  return db_->write([&](Connection& c) {
    return end_tokens_of_user(c, user_id, TokenEnding{reason, at, {}, {}, {}});
  });
}

Result<int> PgStore::prune_tombstones(Instant now) {
  return db_->write([&](Connection& c) { return delete_tombstones_expired_before(c, now); });
}

}  // namespace latchkey::pg
