#include "api/credential_age.h"

#include "accounts/account_expiry.h"

namespace latchkey::api {
namespace {

Json text_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

}  // namespace

const SecretAgePolicy& secret_age_policy(const ApiContext& ctx) {
  static const SecretAgePolicy kDefaults;
  return ctx.secret_age != nullptr ? *ctx.secret_age : kDefaults;
}

Json credential_age_json(const ApiContext& ctx, Instant created_at) {
  const SecretAgePolicy& policy = secret_age_policy(ctx);
  const Instant now = ctx.clock.now();
  const bool due = policy.rotation_due(created_at, now);
  return Json{{"created_at", format_rfc3339(created_at)},
              {"age_days", SecretAgePolicy::age_days(created_at, now)},
              {"rotation_due", due},
              {"rotation_due_since",
               due ? Json(format_rfc3339(*policy.due_at(created_at))) : Json(nullptr)}};
}

void note_rotation_due(const ApiContext& ctx, Instant created_at, http::Response& response) {
  const SecretAgePolicy& policy = secret_age_policy(ctx);
  if (policy.rotation_due(created_at, ctx.clock.now())) {
    response.set_header(kSecretRotationDueHeader, format_rfc3339(*policy.due_at(created_at)));
  }
}

std::optional<Instant> credential_deadline(const ApiContext& ctx, Instant created_at) {
  return secret_age_policy(ctx).hard_deadline(created_at);
}

Status check_client_issuance(const ApiContext& ctx, const AuthenticatedClient& client) {
  const Instant now = ctx.clock.now();
  if (const auto expiry = account_expiry_of(client.user); account_expired(expiry, now)) {
    return fail(account_expired_client_error(*expiry));
  }
  const SecretAgePolicy& policy = secret_age_policy(ctx);
  if (policy.too_old(client.secret_created_at, now)) {
    return fail(Error::invalid_client(
                    "the Client Secret is older than " + std::to_string(policy.hard_max_age_days) +
                    " days (secret_hard_max_age_days); reset it to obtain tokens again")
                    .with_reason("secret_too_old")
                    .with_detail("secret_created_at", format_rfc3339(client.secret_created_at)));
  }
  return {};
}

Status check_key_issuance(const ApiContext& ctx, Instant created_at) {
  const SecretAgePolicy& policy = secret_age_policy(ctx);
  if (policy.too_old(created_at, ctx.clock.now())) {
    return fail(Error::invalid_token("secret_too_old",
                                     "the API key is older than " +
                                         std::to_string(policy.hard_max_age_days) +
                                         " days (secret_hard_max_age_days); create a new key")
                    .with_detail("key_created_at", format_rfc3339(created_at)));
  }
  return {};
}

void add_service_account_fields(Json& object, const User& user) {
  const bool service = user.type == UserType::kService;
  object["owner"] = service ? text_or_null(user.owner) : Json(nullptr);
  object["contact"] = service ? text_or_null(user.contact) : Json(nullptr);
  object["description"] = service ? text_or_null(user.description) : Json(nullptr);
  object["expires_at"] =
      service && user.expires_at ? Json(format_rfc3339(*user.expires_at)) : Json(nullptr);
}

}  // namespace latchkey::api
