#include "accounts/user_service.h"

#include "accounts/origin_restriction.h"
#include "core/ids.h"

namespace latchkey {
namespace {

constexpr std::string_view kUserIdPrefix = "usr_";
constexpr std::string_view kClientIdPrefix = "cli_";

}  // namespace

Status validate_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameBytes) {
    return fail(Error::invalid_request("name must be 1 to 128 bytes long"));
  }
  bool blank = true;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f)
      return fail(Error::invalid_request("name must not contain control characters"));
    if (c != ' ') blank = false;
  }
  if (blank) return fail(Error::invalid_request("name must not be blank"));
  return {};
}

namespace {

// kInvalidRequest unless `value` fits `max` bytes without control characters
// (line breaks and tabs allowed where `multiline`).
Status validate_text_field(std::string_view field, std::string_view value, std::size_t max,
                           bool multiline) {
  if (value.size() > max) {
    return fail(Error::invalid_request("field \"" + std::string(field) + "\" must be at most " +
                                       std::to_string(max) + " bytes"));
  }
  for (unsigned char c : value) {
    const bool allowed_break = multiline && (c == '\n' || c == '\r' || c == '\t');
    if ((c < 0x20 || c == 0x7f) && !allowed_break) {
      return fail(Error::invalid_request("field \"" + std::string(field) +
                                         "\" must not contain control characters"));
    }
  }
  return {};
}

}  // namespace

Status validate_service_account_fields(UserType type, const std::optional<std::string>& owner,
                                       const std::optional<std::string>& contact,
                                       const std::optional<std::string>& description,
                                       const std::optional<std::optional<Instant>>& expires_at,
                                       Instant now) {
  const std::pair<const char*, bool> fields[] = {{"owner", owner.has_value()},
                                                 {"contact", contact.has_value()},
                                                 {"description", description.has_value()},
                                                 {"expires_at", expires_at.has_value()}};
  if (type != UserType::kService) {
    for (const auto& [name, set] : fields) {
      if (set) {
        return fail(Error::invalid_request(
            "field \"" + std::string(name) +
            "\": owners, contacts, descriptions and expiry are for service accounts"));
      }
    }
    return {};
  }
  if (owner) {
    if (auto s = validate_text_field("owner", *owner, kMaxOwnerBytes, false); !s) return s;
  }
  if (contact) {
    if (auto s = validate_text_field("contact", *contact, kMaxContactBytes, false); !s) return s;
  }
  if (description) {
    if (auto s = validate_text_field("description", *description, kMaxDescriptionBytes, true); !s)
      return s;
  }
  if (expires_at && *expires_at && **expires_at <= now) {
    return fail(Error::invalid_request("field \"expires_at\" must be in the future (now is " +
                                       format_rfc3339(now) + ")"));
  }
  return {};
}

Status require_admin(const Principal& actor) {
  if (actor.key) {
    return fail(Error::forbidden("administration needs an account token; a token obtained from "
                                 "an API key never administers")
                    .with_reason("api_key_token"));
  }
  if (!actor.is_admin()) {
    return fail(Error::forbidden("this operation requires the ADMIN module entitlement"));
  }
  return {};
}

std::string UserService::resolve(const Principal& actor, std::string_view id) const {
  return id == "me" ? actor.user_id : std::string(id);
}

Result<User> UserService::create(const Principal& actor, const CreateUserRequest& request) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (auto s = validate_user_name(request.name); !s) return fail(s.error());
  const auto set = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  const std::optional<std::optional<Instant>> expiry =
      request.expires_at ? std::optional<std::optional<Instant>>(request.expires_at) : std::nullopt;
  if (auto s =
          validate_service_account_fields(request.type, set(request.owner), set(request.contact),
                                          set(request.description), expiry, clock_.now());
      !s) {
    return fail(s.error());
  }
  NewUser user;
  user.owner = request.owner;
  user.contact = request.contact;
  user.description = request.description;
  user.expires_at = request.expires_at;
  user.id = new_id(kUserIdPrefix, random_);
  user.name = request.name;
  user.type = request.type;
  user.api_access = request.api_access;
  user.created_at = clock_.now();
  return store_.create_user(user);
}

Result<User> UserService::get(const Principal& actor, std::string_view id) {
  const std::string target = resolve(actor, id);
  if (target != actor.user_id) {
    if (auto s = require_admin(actor); !s) return fail(s.error());
  }
  return store_.get_user(target);
}

Result<std::vector<User>> UserService::list(const Principal& actor) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return store_.list_users();
}

Result<User> UserService::update(const Principal& actor, std::string_view id,
                                 const UserUpdate& update) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  const std::string target = resolve(actor, id);
  if (target == actor.user_id && (update.disabled == true || update.api_access == false)) {
    return fail(Error::forbidden(
        "an admin cannot disable themselves or turn off their own API access; ask another admin"));
  }
  if (update.owner || update.contact || update.description || update.expires_at) {
    // The type never changes, so reading it first decides nothing racy.
    auto current = store_.get_user(target);
    if (!current) return fail(current.error());
    if (auto s =
            validate_service_account_fields(current->type, update.owner, update.contact,
                                            update.description, update.expires_at, clock_.now());
        !s) {
      return fail(s.error());
    }
  }
  auto user = store_.update_user(target, update, clock_.now());
  // Even after an error: the write may have committed, and dropping cached
  // state is always safe.
  on_user_changed_(target);
  return user;
}

Result<User> UserService::set_allowed_origins(const Principal& actor, std::string_view id,
                                              const std::vector<std::string>& cidrs) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto origins = normalize_allowed_origins(cidrs);
  if (!origins) return fail(origins.error());
  const std::string target = resolve(actor, id);
  auto user = store_.set_user_allowed_origins(target, *origins, clock_.now());
  // After the commit (or an error that may hide one) and before answering:
  // the change takes effect at once.
  on_user_changed_(target);
  return user;
}

Result<IssuedClientCredential> UserService::reset_access_key(const Principal& actor,
                                                             std::string_view id) {
  return reset_access_key(actor, id, Duration::zero());
}

Result<User> UserService::secret_change_target(const Principal& actor, const std::string& target) {
  // A key's token must not mint the owner's Client Secret: that would turn a
  // read-only or role-limited key into the owner's full rights.
  if (actor.key) {
    return fail(Error::forbidden("a token obtained from an API key cannot reset the Client Secret")
                    .with_reason("api_key_token"));
  }
  // Nor a token narrowed to scope "read": a new secret means full rights.
  if (actor.read_only) {
    return fail(Error::forbidden("a token with scope \"read\" cannot reset the Client Secret")
                    .with_reason("insufficient_scope"));
  }
  // Admin first: a non-admin must not learn which user ids exist (404 vs 403).
  if (target != actor.user_id) {
    if (auto s = require_admin(actor); !s) return fail(s.error());
  }
  return store_.get_user(target);
}

Status UserService::check_secret_change(const Principal& actor, std::string_view id) {
  auto user = secret_change_target(actor, resolve(actor, id));
  if (!user) return fail(user.error());
  return {};
}

Result<IssuedClientCredential> UserService::reset_access_key(const Principal& actor,
                                                             std::string_view id,
                                                             Duration previous_valid_for) {
  const std::string target = resolve(actor, id);
  auto user = secret_change_target(actor, target);
  if (!user) return fail(user.error());
  if (previous_valid_for < Duration::zero() ||
      previous_valid_for > std::chrono::seconds(kMaxPreviousValidForSeconds)) {
    return fail(
        Error::invalid_request("field \"previous_valid_for_seconds\" must be between 0 and " +
                               std::to_string(kMaxPreviousValidForSeconds) + " (7 days)"));
  }
  // An admin enrols a human once and never resets their secret; the store
  // checks "no credential yet" in the same transaction as the write.
  const bool only_if_none = target != actor.user_id && user->type == UserType::kHuman;
  IssuedClientCredential issued;
  issued.client_secret = generate_secret(SecretKind::kClientSecret, random_);
  auto stored = store_.set_client_secret(target, new_id(kClientIdPrefix, random_),
                                         digest_secret(issued.client_secret), clock_.now(),
                                         only_if_none, previous_valid_for);
  // seed 000: the old secret stops working at once, also where it is cached
  // (even after an error: the write may have committed).
  on_user_changed_(target);
  if (!stored) {
    if (stored.error().code == ErrorCode::kForbidden) {
      return fail(
          Error::forbidden("an admin cannot reset a human user's secret; the user resets it from "
                           "their own account"));
    }
    return fail(stored.error());
  }
  issued.user_id = target;
  issued.client_id = stored->client_id;
  issued.previous_secret_expires_at = stored->previous_expires_at;
  // Decided in the store's transaction (the secret.rotated event).
  issued.replaced = stored->replaced;
  issued.reset_at = stored->created_at;
  return issued;
}

Result<ClientCredential> UserService::retire_previous_secret(const Principal& actor,
                                                             std::string_view id) {
  const std::string target = resolve(actor, id);
  auto user = secret_change_target(actor, target);
  if (!user) return fail(user.error());
  if (target != actor.user_id && user->type == UserType::kHuman) {
    return fail(Error::forbidden(
        "an admin cannot change a human user's secret; the user retires it from their own "
        "account"));
  }
  auto retired = store_.retire_previous_client_secret(target, clock_.now());
  // The previous secret stops at once, also where it is cached.
  on_user_changed_(target);
  if (!retired) return fail(retired.error());
  if (!*retired) {
    return fail(Error::not_found("the user has no previous client secret that still works"));
  }
  return std::move(**retired);
}

Result<std::optional<std::string>> UserService::client_id_of(std::string_view user_id) {
  auto credential = store_.client_credential_of_user(user_id);
  if (!credential) return fail(credential.error());
  if (!credential->has_value()) return std::optional<std::string>{};
  return std::optional<std::string>((*credential)->client_id);
}

Result<std::optional<ClientCredential>> UserService::credential_of(std::string_view user_id) {
  return store_.client_credential_of_user(user_id);
}

Result<std::optional<PendingAdmin>> UserService::prepare_bootstrap_admin(std::string_view name) {
  auto has_users = store_.has_users();
  if (!has_users) return fail(has_users.error());
  if (*has_users) return std::optional<PendingAdmin>{};
  PendingAdmin admin;
  admin.user.id = new_id(kUserIdPrefix, random_);
  admin.user.name = std::string(name);
  admin.user.type = UserType::kHuman;
  admin.user.api_access = true;
  admin.user.modules = {std::string(kModuleAdmin)};
  admin.user.created_at = clock_.now();
  admin.issued = {admin.user.id, new_id(kClientIdPrefix, random_),
                  generate_secret(SecretKind::kClientSecret, random_)};
  admin.credential = {admin.issued.client_id, admin.user.id,
                      digest_secret(admin.issued.client_secret), admin.user.created_at};
  admin.issued.username = admin.user.name;
  admin.issued.console_password = random_base62(random_, 24);
  return std::optional<PendingAdmin>(std::move(admin));
}

Status UserService::commit_bootstrap_admin(const PendingAdmin& admin) {
  // A password was delivered but not hashed: storing the admin without it
  // would leave a shown password that never works.
  if (!admin.issued.console_password.empty() && admin.console_password_hash.empty()) {
    return fail(Error::internal("the console password has no hash; the admin is not stored"));
  }
  auto created =
      admin.console_password_hash.empty()
          ? store_.bootstrap_first_user(admin.user, admin.credential)
          : store_.bootstrap_first_user(admin.user, admin.credential, admin.console_password_hash);
  if (!created) return fail(created.error());
  if (!*created) return fail(Error::conflict("the store already has users"));
  return {};
}

}  // namespace latchkey
