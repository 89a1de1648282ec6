// UserService: users and their client credentials, as the admin API and the
// bootstrap see them. Who may do what is decided here:
//   - create/list/update users and revoke their tokens: ADMIN only;
//   - read a user: ADMIN, or the user themselves;
//   - reset a Client Secret: the user themselves; an admin for a service
//     account; an admin for a human only as first enrolment (the human has
//     never had credentials) -- an admin never resets a human's secret.
// Every change to a user calls `on_user_changed(user_id)` after its commit so
// that cached principals are dropped before the caller is answered.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/principal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/store.h"

namespace latchkey {

struct CreateUserRequest {
  std::string name;
  UserType type = UserType::kHuman;
  bool api_access = false;
  // Service accounts only (issue 14 item 7; validate_service_account_fields).
  std::string owner;
  std::string contact;
  std::string description;
  std::optional<Instant> expires_at;
};

inline constexpr std::size_t kMaxOwnerBytes = 200;
inline constexpr std::size_t kMaxContactBytes = 200;
inline constexpr std::size_t kMaxDescriptionBytes = 1000;

// kInvalidRequest naming the field: owner and contact over 200 bytes,
// description over 1000, control characters (a description may hold line
// breaks and tabs), an expiry not in the future of `now`, or any of them
// set for a human ("owners are for service accounts").
Status validate_service_account_fields(UserType type, const std::optional<std::string>& owner,
                                       const std::optional<std::string>& contact,
                                       const std::optional<std::string>& description,
                                       const std::optional<std::optional<Instant>>& expires_at,
                                       Instant now);

// Shown once, in the response that created it.
struct IssuedClientCredential {
  std::string user_id;
  std::string client_id;
  std::string client_secret;
  // The first start and admin recovery only: the web console's sign-in
  // (docs/console.md), shown once beside the secret. Empty otherwise.
  std::string username;
  std::string console_password;
  // A reset with an overlap (docs/rotation.md): when the replaced secret
  // stops working. Unset when it stopped at once (or there was none).
  std::optional<Instant> previous_secret_expires_at;
  // Whether the reset replaced an earlier secret (false: first enrolment),
  // and when the reset took effect.
  bool replaced = false;
  Instant reset_at{};
};

// docs/rotation.md: how long a replaced Client Secret may keep working.
inline constexpr std::int64_t kMaxPreviousValidForSeconds = 7 * 24 * 3600;

// The first start's admin, made but not stored yet: its credentials are
// delivered (bootstrap file, stdout) before commit_bootstrap_admin() stores
// it, so that no crash can store an admin whose secret nobody received
// (docs/security/bootstrap.md).
struct PendingAdmin {
  NewUser user;
  ClientCredential credential;    // holds the secret's digest
  IssuedClientCredential issued;  // holds the secret and console password, to show once
  // The console password's argon2id string (console_auth/password.h), set
  // by whoever delivers the password before commit_bootstrap_admin().
  std::string console_password_hash;
};

inline constexpr std::size_t kMaxUserNameBytes = 128;

// kInvalidRequest unless 1..128 bytes with no control characters and not blank.
Status validate_user_name(std::string_view name);

class UserService {
 public:
  UserService(Store& store, const Clock& clock, Random& random,
              std::function<void(std::string_view)> on_user_changed)
      : store_(store),
        clock_(clock),
        random_(random),
        on_user_changed_(std::move(on_user_changed)) {}

  Result<User> create(const Principal& actor, const CreateUserRequest& request);
  // `id` may be "me".
  Result<User> get(const Principal& actor, std::string_view id);
  Result<std::vector<User>> list(const Principal& actor);
  Result<User> update(const Principal& actor, std::string_view id, const UserUpdate& update);
  // Replaces the user's allowed origins (docs/origin-restrictions.md; an
  // empty list clears them): ADMIN only; CIDR blocks validated and
  // normalized (kInvalidRequest naming the bad entry, at most 64). Cached
  // clients and principals of the user are dropped before it returns.
  Result<User> set_allowed_origins(const Principal& actor, std::string_view id,
                                   const std::vector<std::string>& cidrs);
  // `id` may be "me". The old secret stops working at once (seed 000).
  Result<IssuedClientCredential> reset_access_key(const Principal& actor, std::string_view id);
  // The same with an overlap (docs/rotation.md): the replaced secret keeps
  // working for `previous_valid_for` (0 .. kMaxPreviousValidForSeconds;
  // kInvalidRequest otherwise), any older previous secret is dropped.
  Result<IssuedClientCredential> reset_access_key(const Principal& actor, std::string_view id,
                                                  Duration previous_valid_for);
  // The permission checks of a reset or retire alone (nothing written), so
  // that a caller who may not change `id`'s secret hears that before any
  // complaint about the request body.
  Status check_secret_change(const Principal& actor, std::string_view id);
  // Ends the previous secret of `id` now (same permissions as a reset);
  // kNotFound when it has none that still works. Returns the credential.
  Result<ClientCredential> retire_previous_secret(const Principal& actor, std::string_view id);

  // The client id of a user, if they have credentials.
  Result<std::optional<std::string>> client_id_of(std::string_view user_id);
  // The user's current Client ID + Secret record (digest only), if any.
  Result<std::optional<ClientCredential>> credential_of(std::string_view user_id);

  // On an empty store: `name` as a human with API access and ADMIN, with
  // fresh credentials, not stored yet. nullopt when the store has users.
  Result<std::optional<PendingAdmin>> prepare_bootstrap_admin(std::string_view name);
  // Stores the admin with its credential (and console password hash, when
  // set) atomically, only if the store still
  // has no user (kConflict otherwise: nothing is written).
  Status commit_bootstrap_admin(const PendingAdmin& admin);

 private:
  std::string resolve(const Principal& actor, std::string_view id) const;
  // Who may change `target`'s secret: its owner, an admin (the caller then
  // checks the human-enrolment rule). Returns the target user.
  Result<User> secret_change_target(const Principal& actor, const std::string& target);

  Store& store_;
  const Clock& clock_;
  Random& random_;
  std::function<void(std::string_view)> on_user_changed_;
};

// kForbidden unless the actor holds ADMIN.
Status require_admin(const Principal& actor);

}  // namespace latchkey
