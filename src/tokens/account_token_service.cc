#include "tokens/account_token_service.h"

#include "accounts/account_expiry.h"
#include "core/redaction.h"
#include "tokens/principal_of_user.h"

namespace latchkey {
namespace {

Error expired_error(Instant expired_at) {
  return Error::invalid_token("expired", "the access token expired at " +
                                             format_rfc3339(expired_at) + "; generate a new one")
      .with_detail("expired_at", format_rfc3339(expired_at));
}

// The principal a token stands for, checked against the user's current state.
Result<std::shared_ptr<const Principal>> principal_of(const User& user, const AccountToken& token,
                                                      std::optional<Instant> secret_created_at) {
  if (user.disabled) {
    return fail(Error::invalid_token("user_disabled", "the user of this token is disabled"));
  }
  auto principal = principal_of_user(user, token.client_id, token.issued_at, token.expires_at);
  principal->secret_created_at = secret_created_at;
  // The user's list binds their Client ID + Secret's tokens.
  principal->origins = OriginRestriction::of(user.allowed_origins);
  return std::shared_ptr<const Principal>(std::move(principal));
}

}  // namespace

Result<IssuedAccountToken> AccountTokenService::issue(const User& user, std::string_view client_id,
                                                      const RequestOrigin& origin,
                                                      std::optional<Instant> credential_deadline) {
  const Instant now = clock_.now();
  IssuedAccountToken issued;
  issued.access_token = generate_secret(SecretKind::kAccessToken, random_);
  issued.expires_at = capped_token_expiry(now + options_.lifetime, user, credential_deadline);
  issued.expires_in = seconds_until(now, issued.expires_at);

  AccountToken record;
  record.digest = digest_secret(issued.access_token);
  record.user_id = user.id;
  record.client_id = std::string(client_id);
  record.issued_at = now;
  record.expires_at = issued.expires_at;
  record.issuer_ip = origin.ip;
  // Shown to the holder of the token this one supersedes (issue 13 item 5):
  // at most kMaxDisplayChars, no control characters, no secret-shaped runs.
  record.issuer_user_agent = sanitize_for_display(origin.user_agent);
  // seed 000: issuing deletes every earlier token of the user, atomically in the store.
  // The same transaction counts the issuance for the interference alarm.
  auto stored = store_.issue_watched_account_token(record, options_.interference);
  // After the commit and before answering (and even after an error, which
  // may hide a commit): no cached copy of an older token survives.
  cache_.evict_user(user.id);
  // The same on every other node: their cached copies of the earlier token.
  publish(invalidation::Message::account_tokens_of_user(user.id));
  if (!stored) {
    // A disable that committed after the caller authenticated wins.
    if (stored.error().reason == "user_disabled") {
      return fail(Error::invalid_client("the user of this client is disabled")
                      .with_reason("user_disabled"));
    }
    return fail(stored.error());
  }
  issued.interference = std::move(*stored);
  return issued;
}

Result<std::shared_ptr<const Principal>> AccountTokenService::authenticate(std::string_view token) {
  if (!is_well_formed_secret(token, SecretKind::kAccessToken)) {
    return fail(Error::invalid_token(
        "malformed",
        "the bearer token is not a latchkey access token (bad prefix, length or checksum)"));
  }
  const Digest digest = digest_secret(token);
  if (unconfirmed_.contains(digest)) {
    return fail(Error::invalid_token("revoked", "the access token was revoked"));
  }
  std::shared_ptr<const Principal> principal = cache_.find(digest);
  // A token's end is capped at its service account's expiry: at that
  // instant the account's reason is the one that explains it.
  if (principal && account_expired(principal->account_expires_at, clock_.now())) {
    return fail(account_expired_token_error(*principal->account_expires_at));
  }
  if (!principal || clock_.now() >= principal->token_expires_at) {
    auto fresh = authenticate_from_store(digest);
    if (!fresh) return fail(fresh.error());
    principal = std::move(*fresh);
  }
  // Issue 14 item 7: exactly at its expiry, before the scan disables it.
  if (account_expired(principal->account_expires_at, clock_.now())) {
    return fail(account_expired_token_error(*principal->account_expires_at));
  }
  // seed 001: without API access every call answers 401.
  if (!principal->api_access) {
    return fail(Error::invalid_token("api_access_disabled",
                                     "API access is not enabled for the user of this token"));
  }
  return principal;
}

Result<std::shared_ptr<const Principal>> AccountTokenService::authenticate_from_store(
    const Digest& digest) {
  const std::uint64_t epoch = cache_.epoch();
  auto lookup = store_.find_account_token(digest);
  if (!lookup) return fail(lookup.error());
  if (lookup->ended) return fail(ended_token_error(*lookup->ended));
  if (!lookup->live) {
    return fail(Error::invalid_token("unknown", "the access token is not known to this server"));
  }
  const AccountToken& token = *lookup->live;
  const Instant now = clock_.now();
  if (now >= token.expires_at) {
    // seed 000: an expired token answers 401 and is removed on first use.
    if (auto ended = store_.end_account_token(digest, TokenEndReason::kExpired, now); !ended) {
      return fail(ended.error());
    }
    cache_.evict(digest);
    return fail(expired_error(token.expires_at));
  }
  auto user = store_.get_user(token.user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return fail(Error::invalid_token("unknown", "the user of this token no longer exists"));
    }
    return fail(user.error());
  }
  // The secret's age for GET /api/v1/account/me; a reset drops the cached
  // principal (UserService's hook), so this stays current.
  auto credential = store_.client_credential_of_user(user->id);
  if (!credential) return fail(credential.error());
  std::optional<Instant> secret_created_at;
  if (*credential && (*credential)->client_id == token.client_id) {
    secret_created_at = (*credential)->created_at;
  }
  auto principal = principal_of(*user, token, secret_created_at);
  if (!principal) return fail(principal.error());
  cache_.insert_if_current(epoch, digest, *principal);
  return principal;
}

Error AccountTokenService::ended_token_error(const TokenTombstone& t) const {
  const std::string at = format_rfc3339(t.ended_at);
  switch (t.reason) {
    case TokenEndReason::kSuperseded: {
      // Sanitised again when shown: a record may predate the rule.
      const std::string user_agent = sanitize_for_display(t.by_user_agent);
      std::string who = "client " + t.by_client_id;
      if (!t.by_ip.empty()) who += " from " + t.by_ip;
      if (!user_agent.empty()) who += " (" + user_agent + ")";
      return Error::invalid_token("superseded",
                                  "the access token was superseded at " + at +
                                      " when a new token was generated by " + who +
                                      "; each generation deletes the user's earlier tokens")
          .with_detail("superseded_at", at)
          .with_detail("superseded_by_client_id", t.by_client_id)
          .with_detail("superseded_by_ip", t.by_ip)
          .with_detail("superseded_by_user_agent", user_agent);
    }
    case TokenEndReason::kRevoked:
      return Error::invalid_token("revoked", "the access token was revoked at " + at)
          .with_detail("revoked_at", at);
    case TokenEndReason::kExpired:
      return expired_error(t.expires_at);
    case TokenEndReason::kUserDisabled:
      return Error::invalid_token("user_disabled", "the user of this token was disabled at " + at +
                                                       " and their tokens were deleted")
          .with_detail("disabled_at", at);
  }
  return Error::invalid_token("revoked", "the access token is no longer valid");
}

Status AccountTokenService::revoke(std::string_view token) {
  auto principal = authenticate(token);
  if (!principal) return fail(principal.error());
  const Digest digest = digest_secret(token);
  auto ended = store_.end_account_token(digest, TokenEndReason::kRevoked, clock_.now());
  if (!ended) {
    // Fail closed (docs/security/faults.md): refused here until a retry
    // makes the revocation durable (or the process restarts).
    unconfirmed_.add(digest, (*principal)->token_expires_at, clock_.now());
  }
  cache_.evict(digest);
  publish(invalidation::Message::account_token(digest));
  if (!ended) return fail(ended.error());
  return {};
}

Result<int> AccountTokenService::revoke_all_of_user(std::string_view user_id) {
  auto n = store_.end_account_tokens_of_user(user_id, TokenEndReason::kRevoked, clock_.now());
  cache_.evict_user(user_id);
  publish(invalidation::Message::account_tokens_of_user(user_id));
  if (!n) return fail(n.error());
  return *n;
}

Result<int> AccountTokenService::prune() {
  return store_.prune_tombstones(clock_.now() - options_.tombstone_grace);
}

}  // namespace latchkey
