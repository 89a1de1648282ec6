// Issue 14 items 3 and 7 at the token endpoints and in listings
// (docs/secret-age.md): the age of a Client Secret or API key as JSON, the
// Latchkey-Secret-Rotation-Due header on issuance with a credential that is
// due, and the refusals of issuance with a credential past the hard maximum
// (secret_too_old) or for an expired service account (account_expired).
#pragma once

#include <optional>

#include "accounts/client_authenticator.h"
#include "api/api_context.h"
#include "api/json_io.h"
#include "http/message.h"

namespace latchkey::api {

// The context's policy, or the defaults.
const SecretAgePolicy& secret_age_policy(const ApiContext& ctx);

// {"created_at", "age_days", "rotation_due", "rotation_due_since"} of a
// credential created at `created_at`, now.
Json credential_age_json(const ApiContext& ctx, Instant created_at);

// Adds Latchkey-Secret-Rotation-Due when the credential created at
// `created_at` is due now.
void note_rotation_due(const ApiContext& ctx, Instant created_at, http::Response& response);

// The instant past which no token issued with a credential created at
// `created_at` may live (secret_hard_max_age_days; nullopt when off).
std::optional<Instant> credential_deadline(const ApiContext& ctx, Instant created_at);

// Before issuing a token for a client authenticated by its secret:
// kInvalidClient with reason "account_expired" or "secret_too_old".
Status check_client_issuance(const ApiContext& ctx, const AuthenticatedClient& client);

// Before exchanging an API key created at `created_at`: kInvalidToken with
// reason "secret_too_old" past the hard maximum.
Status check_key_issuance(const ApiContext& ctx, Instant created_at);

// "owner", "contact", "description", "expires_at" of a service account
// (null for humans and unset fields).
void add_service_account_fields(Json& object, const User& user);

}  // namespace latchkey::api
