#include "pipeline/services.h"

#include "keys/key_service.h"
#include "metrics/metrics.h"
#include "tokens/account_token_service.h"
#include "tokens/jwt_service.h"

namespace latchkey::pipeline {
namespace {

metrics::Counter& verification_counter(std::string_view kind) {
  static auto& family = metrics::default_registry().counter_family(
      "latchkey_token_verifications_total",
      "Bearer tokens verified (each request's token is verified once).", {"kind"});
  return family.with({kind});
}

}  // namespace

TokenVerifier::TokenVerifier(AccountTokenService& accounts, JwtService* jwts)
    : accounts_(accounts), jwts_(jwts) {}

Result<std::shared_ptr<const Principal>> TokenVerifier::verify(std::string_view token) {
  static metrics::Counter& account = verification_counter("account");
  static metrics::Counter& jwt = verification_counter("jwt");
  // A JWT from an API-key exchange (seeds 003/004) or from POST /oauth/token
  // works wherever an account token does; the two never look alike (lk_at_…
  // has no dots).
  if (JwtService::looks_like_jwt(token)) {
    jwt.inc();
    if (jwts_ == nullptr) {
      return fail(Error::invalid_token("malformed", "this server does not accept JWTs"));
    }
    return jwts_->authenticate(token);
  }
  account.inc();
  return accounts_.authenticate(token);
}

Result<KeyIdentity> KeyServiceVerifier::verify(std::string_view api_key) {
  if (keys_ == nullptr) {
    return fail(Error::unavailable("API keys are not enabled on this server"));
  }
  auto key = keys_->authenticate(api_key);
  if (!key) return fail(key.error());
  return KeyIdentity{key->id, key->role_id, key->allowed_origins};
}

Result<authz::DecisionOutcome> PermissionDecider::decide(const Principal& principal,
                                                         const policy::DecisionRequest& request) {
  if (permissions_ == nullptr) {  // fail closed
    return fail(Error::forbidden("this server has no permission service")
                    .with_reason("permissions_unavailable"));
  }
  return permissions_->decide(principal, request);
}

}  // namespace latchkey::pipeline
