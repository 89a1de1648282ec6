// When a service account's expiry (issue 14 item 7, docs/service-accounts.md)
// stops its credentials: exactly at expires_at, checked wherever a token is
// issued or verified, with the injected clock, so that nothing works in the
// window before the lifecycle scan disables the account in the store.
#pragma once

#include <optional>

#include "core/error.h"
#include "core/time.h"
#include "store/records.h"

namespace latchkey {

// The expiry that applies to `user`: only service accounts expire.
inline std::optional<Instant> account_expiry_of(const User& user) {
  return user.type == UserType::kService ? user.expires_at : std::nullopt;
}

inline bool account_expired(const std::optional<Instant>& expires_at, Instant now) {
  return expires_at && now >= *expires_at;
}

// The expiry of a token of `user` issued now whose normal end is `normal`:
// never past the service account's expiry, nor past `credential_deadline`
// (the credential's creation + secret_hard_max_age_days, when that is on),
// so that offline verifiers (JWKS) stop accepting it in time too. Applied
// by every issuance: account tokens, key-exchange JWTs, OAuth tokens.
inline Instant capped_token_expiry(Instant normal, const User& user,
                                   const std::optional<Instant>& credential_deadline) {
  Instant end = normal;
  if (const auto expiry = account_expiry_of(user); expiry && *expiry < end) end = *expiry;
  if (credential_deadline && *credential_deadline < end) end = *credential_deadline;
  return end;
}

// 401 invalid_token, reason "account_expired", for a token of the account.
inline Error account_expired_token_error(Instant expired_at) {
  return Error::invalid_token("account_expired", "the service account of this token expired at " +
                                                     format_rfc3339(expired_at))
      .with_detail("expired_at", format_rfc3339(expired_at));
}

// 401 invalid_client, reason "account_expired", for issuance.
inline Error account_expired_client_error(Instant expired_at) {
  return Error::invalid_client("the service account of this client expired at " +
                               format_rfc3339(expired_at))
      .with_reason("account_expired")
      .with_detail("expired_at", format_rfc3339(expired_at));
}

}  // namespace latchkey
