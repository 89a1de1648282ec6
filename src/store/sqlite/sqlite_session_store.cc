#include "store/sqlite/sqlite_session_store.h"

#include "store/sqlite/session_rows.h"

namespace latchkey::sqlite {

Result<LoginOutcome> SqliteSessionStore::login_session(
    const LoginSession& candidate, Instant now,
    const std::function<bool(const LoginSession&)>& reusable) {
  // seed 003: the decision (reuse or replace) and the write are one
  // transaction on the single writer, so concurrent logins agree.
  return db_.write([&](Connection& connection) -> Result<LoginOutcome> {
    auto existing = select_session(connection, candidate.key_id, candidate.session_id);
    if (!existing) return fail(existing.error());
    if (*existing && (*existing)->token_expires_at > now) {
      // A revoked session stays revoked while its token could still be
      // valid: overwriting the row would drop the only durable record of
      // the revocation, and the old token would verify again after a restart.
      if ((*existing)->revoked_at) {
        return fail(Error::conflict("this session was revoked; log in with a new session_id")
                        .with_reason("session_revoked"));
      }
      if (reusable(**existing)) return LoginOutcome{std::move(**existing), true};
    }
    if (auto s = upsert_session(connection, candidate); !s) return fail(s.error());
    auto stored = select_session(connection, candidate.key_id, candidate.session_id);
    if (!stored) return fail(stored.error());
    if (!*stored) return fail(Error::internal("login session vanished inside its transaction"));
    return LoginOutcome{std::move(**stored), false};
  });
}

Result<std::optional<LoginSession>> SqliteSessionStore::find_session(std::string_view key_id,
                                                                     std::string_view session_id) {
  return db_.read(
      [&](Connection& connection) { return select_session(connection, key_id, session_id); });
}

Result<std::vector<LoginSession>> SqliteSessionStore::sessions_of_key(std::string_view key_id) {
  return db_.read(
      [&](Connection& connection) { return select_sessions_of_key(connection, key_id); });
}

Result<LoginSession> SqliteSessionStore::revoke_session(std::string_view key_id,
                                                        std::string_view session_id, Instant at) {
  return db_.write([&](Connection& connection) -> Result<LoginSession> {
    auto existing = select_session(connection, key_id, session_id);
    if (!existing) return fail(existing.error());
    if (!*existing) return fail(Error::not_found("no such session of this key"));
    if (auto s = mark_session_revoked(connection, key_id, session_id, at); !s) {
      return fail(s.error());
    }
    return std::move(**existing);
  });
}

Result<std::vector<LoginSession>> SqliteSessionStore::revoked_sessions(Instant now) {
  return db_.read([&](Connection& connection) { return select_revoked_sessions(connection, now); });
}

Result<int> SqliteSessionStore::prune_sessions(Instant before) {
  return db_.write(
      [&](Connection& connection) { return delete_sessions_expired_before(connection, before); });
}

}  // namespace latchkey::sqlite
