// Store: everything latchkey persists, as domain operations.
//
// Each operation that must keep an invariant does so atomically inside the
// backend (e.g. issue_account_token deletes every earlier token of the user
// and inserts the new one in one transaction), so callers never compose
// reads and writes to enforce a rule.
//
// Durability: a write returns only after it is durable (survives kill -9 and
// power loss as far as fsync allows). Backends may group concurrent writes
// into one commit; callers just block.
//
// Thread-safety: every method may be called from any thread concurrently.
// Errors: kNotFound / kConflict for the caller's mistakes as documented per
// method; kUnavailable when the backend cannot answer (busy, disk full);
// kInternal otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/event_outbox_store.h"
#include "store/records.h"

namespace latchkey {

class AuditStore;
class ConsoleStore;
class EventOutboxStore;
class KeyStore;
class PolicyStore;
class RevokedTokenStore;
class SessionStore;
class SigningKeyStore;
class UsageStore;

class Store {
 public:
  virtual ~Store() = default;

  // A cheap round trip to the backend, for readiness checks.
  virtual Status ping() {
    auto probe = find_user_by_name("");
    if (!probe) return fail(probe.error());
    return {};
  }

  // The other areas of the same backend, sharing its transactions' rules
  // (policy_store.h, audit_store.h, key_store.h, session_store.h,
  // signing_key_store.h).
  virtual PolicyStore& policy() = 0;
  virtual AuditStore& audit() = 0;
  virtual KeyStore& keys() = 0;
  virtual SessionStore& sessions() = 0;
  virtual SigningKeyStore& signing_keys() = 0;
  virtual RevokedTokenStore& revoked_tokens() = 0;  // revoked_token_store.h
  virtual ConsoleStore& console() = 0;              // console_store.h
  virtual UsageStore& usage() = 0;                  // usage_store.h (usage per API key)
  virtual EventOutboxStore& outbox() = 0;           // event_outbox_store.h (webhooks)

  // --- users ---------------------------------------------------------------
  // kConflict when the name or id is taken.
  virtual Result<User> create_user(const NewUser& user) = 0;
  // kNotFound when there is no such user.
  virtual Result<User> get_user(std::string_view id) = 0;
  virtual Result<std::optional<User>> find_user_by_name(std::string_view name) = 0;
  // Ordered by creation time.
  virtual Result<std::vector<User>> list_users() = 0;
  // Applies the update. When it disables the user, every account token of the
  // user is deleted in the same transaction, tombstoned as kUserDisabled.
  // kNotFound when there is no such user.
  virtual Result<User> update_user(std::string_view id, const UserUpdate& update, Instant now) = 0;
  // Replaces the user's allowed origins (normalized CIDR blocks; an empty
  // list clears the restriction) and sets updated_at. kNotFound when there
  // is no such user.
  virtual Result<User> set_user_allowed_origins(std::string_view id,
                                                const std::vector<std::string>& cidrs,
                                                Instant now) = 0;

  // Service accounts whose expires_at is at or before `now` and that are not
  // disabled yet, ordered by creation time (the lifecycle scan asks).
  virtual Result<std::vector<User>> list_expired_service_accounts(Instant now) = 0;
  // Disables the user only if it is still an enabled service account whose
  // expires_at is at or before `now`, deleting its account tokens
  // (kUserDisabled) in the same transaction, so that an expiry moved by an
  // admin meanwhile is respected. Returns the user as disabled, or nullopt
  // when nothing was done (kNotFound when there is no such user).
  // When it disables the user, `events` (if set) is called with the user as
  // disabled and the outbox rows it returns are enqueued (as
  // EventOutboxStore::enqueue: a stored dedup_key is skipped) in the same
  // transaction, so that the change and its webhook events commit together
  // or not at all. `events` may be called more than once (a retried write)
  // and must build fresh rows each time.
  using OutboxRowsFor = std::function<std::vector<NewOutboxEvent>(const User&)>;
  virtual Result<std::optional<User>> disable_expired_service_account(
      std::string_view id, Instant now, const OutboxRowsFor& events) = 0;
  Result<std::optional<User>> disable_expired_service_account(std::string_view id, Instant now) {
    return disable_expired_service_account(id, now, {});
  }

  // True when the store holds at least one user (latchkeyd's first start
  // asks). Backends answer without listing every user.
  virtual Result<bool> has_users() {
    auto users = list_users();
    if (!users) return fail(users.error());
    return !users->empty();
  }

  // Creates the first user with its credential, atomically, only if the store
  // has no user at all. Returns false (and writes nothing) otherwise.
  virtual Result<bool> bootstrap_first_user(const NewUser& user,
                                            const ClientCredential& credential) = 0;
  // The same, also setting the user's console password hash (argon2id
  // string, console_store.h) in the same transaction.
  virtual Result<bool> bootstrap_first_user(const NewUser& user, const ClientCredential& credential,
                                            const std::string& console_password_hash) = 0;

  // --- client credentials (seed 000) --------------------------------------
  // Stores the user's credential, replacing any earlier one atomically: the
  // old secret (and old client id, if it changed) stops working on return.
  // kNotFound when the user does not exist.
  virtual Status put_client_credential(const ClientCredential& credential) = 0;
  // Sets the user's Client Secret in one transaction and returns the
  // credential as stored. The user's client id never changes once it exists
  // (seed 000: "the client should stay visible"); a user without credentials
  // gets `client_id_if_new`. With `only_if_none`, a user who already has
  // credentials is refused with kForbidden and nothing is written (an admin
  // enrols a human once, never resets them). The answer's `replaced` says
  // whether an existing secret was replaced (decided in the transaction).
  // kNotFound when the user does not exist.
  Result<ClientCredential> set_client_secret(std::string_view user_id,
                                             std::string_view client_id_if_new,
                                             const Digest& secret_digest, Instant at,
                                             bool only_if_none) {
    return set_client_secret(user_id, client_id_if_new, secret_digest, at, only_if_none,
                             Duration::zero());
  }
  // The same with an overlap (docs/rotation.md). With previous_valid_for > 0
  // and an existing secret, the replaced secret becomes the previous one,
  // accepted until at + previous_valid_for; any older previous secret is
  // dropped in the same transaction (at most two live secrets per client).
  // With 0 (or no existing secret) no previous secret is kept: the old one
  // stops working on return, as seed 000 says of a reset.
  virtual Result<ClientCredential> set_client_secret(std::string_view user_id,
                                                     std::string_view client_id_if_new,
                                                     const Digest& secret_digest, Instant at,
                                                     bool only_if_none,
                                                     Duration previous_valid_for) = 0;
  // Ends the user's previous secret at `at` (it is then refused as
  // "rotated"), in one transaction. Returns the credential as stored, or
  // nullopt (nothing written) when the user has no previous secret that
  // still works at `at`.
  virtual Result<std::optional<ClientCredential>> retire_previous_client_secret(
      std::string_view user_id, Instant at) = 0;
  virtual Result<std::optional<ClientCredential>> find_client_credential(
      std::string_view client_id) = 0;
  virtual Result<std::optional<ClientCredential>> client_credential_of_user(
      std::string_view user_id) = 0;

  // --- account tokens (seed 000) -------------------------------------------
  // The only token of the user: deletes every earlier token of the user
  // (tombstoned as kSuperseded with the new token's issuer as `by_*`) and
  // stores `token`, in one transaction. Under any concurrency, at most one
  // token per user exists at any instant. kNotFound when the user does not
  // exist; kConflict with reason "user_disabled" when the user is disabled
  // (checked in the same transaction, so an issuance racing a disable cannot
  // leave a live token behind it).
  virtual Status issue_account_token(const AccountToken& token) = 0;
  // The same issuance, which also records it (user, client, issuer_ip,
  // issued_at) for the token-interference alarm and applies `rule`, in the
  // same transaction: when the user's issuances within rule.window (this
  // one included) number more than rule.threshold and come from at least
  // two distinct non-empty addresses, the user's interference is updated,
  // and returned when this issuance raises an alarm (none was raised within
  // the last window). Recorded issuances are forgotten once older than the
  // window. issue_account_token() records too, and never alarms.
  virtual Result<std::optional<TokenInterference>> issue_watched_account_token(
      const AccountToken& token, const InterferenceRule& rule) = 0;
  // The user's interference as last recorded; nullopt when none ever was.
  virtual Result<std::optional<TokenInterference>> find_token_interference(
      std::string_view user_id) = 0;
  virtual Result<AccountTokenLookup> find_account_token(const Digest& digest) = 0;
  // Deletes one live token, tombstoned with `reason` (kRevoked or kExpired).
  // Returns false when the token was not live.
  virtual Result<bool> end_account_token(const Digest& digest, TokenEndReason reason,
                                         Instant at) = 0;
  // Deletes every live token of the user, tombstoned with `reason`. Returns
  // how many were deleted.
  virtual Result<int> end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                                 Instant at) = 0;
  // Forgets tombstones of tokens that would have expired before `now`.
  virtual Result<int> prune_tombstones(Instant now) = 0;
};

struct StoreOptions {
  std::string data_dir;  // SQLite: the database is <data_dir>/latchkey.db
  int read_connections = 4;
  int max_batch = 256;  // most writes grouped into one commit
  int pool_size = 16;   // PostgreSQL: connections this process keeps at most
};

// Opens (creating and migrating as needed) the embedded SQLite store.
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);

}  // namespace latchkey
