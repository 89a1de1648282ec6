#include "store/postgres/pg_session_store.h"

#include <memory>
#include <string>
#include <utility>

#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_text.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

#define LATCHKEY_PG_SESSION_COLUMNS                                                     \
  "key_id, session_id, user_id, created_at, token, token_issued_at, token_expires_at, " \
  "revoked_at"

constexpr std::string_view kSelect = "SELECT " LATCHKEY_PG_SESSION_COLUMNS
                                     " FROM login_sessions WHERE key_id = $1 AND session_id = $2";
constexpr std::string_view kSelectLocked =
    "SELECT " LATCHKEY_PG_SESSION_COLUMNS
    " FROM login_sessions WHERE key_id = $1 AND session_id = $2 FOR UPDATE";
constexpr std::string_view kSelectOfKey =
    "SELECT " LATCHKEY_PG_SESSION_COLUMNS
    " FROM login_sessions WHERE key_id = $1 ORDER BY created_at, session_id COLLATE \"C\"";
constexpr std::string_view kSelectRevoked =
    "SELECT " LATCHKEY_PG_SESSION_COLUMNS
    " FROM login_sessions WHERE revoked_at IS NOT NULL AND token_expires_at > $1 "
    "ORDER BY key_id, session_id";
constexpr std::string_view kInsert =
    "INSERT INTO login_sessions (key_id, session_id, user_id, created_at, token, "
    "token_issued_at, token_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (key_id, session_id) DO NOTHING RETURNING " LATCHKEY_PG_SESSION_COLUMNS;
// created_at stays the session's; the revocation ends with the old token.
constexpr std::string_view kReplaceToken =
    "UPDATE login_sessions SET user_id = $3, token = $4, token_issued_at = $5, "
    "token_expires_at = $6, revoked_at = NULL WHERE key_id = $1 AND session_id = $2 "
    "RETURNING " LATCHKEY_PG_SESSION_COLUMNS;

#undef LATCHKEY_PG_SESSION_COLUMNS

LoginSession session_at(const Rows& rows, int r) {
  LoginSession s;
  s.key_id = text_at(rows, r, 0);
  s.session_id = text_at(rows, r, 1);
  s.user_id = text_at(rows, r, 2);
  s.created_at = instant_at(rows, r, 3);
  s.token = text_at(rows, r, 4);
  s.token_issued_at = instant_at(rows, r, 5);
  s.token_expires_at = instant_at(rows, r, 6);
  s.revoked_at = optional_instant_at(rows, r, 7);
  return s;
}

std::vector<LoginSession> sessions_at(const Rows& rows) {
  std::vector<LoginSession> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) out.push_back(session_at(rows, r));
  return out;
}

Result<std::optional<LoginSession>> select_session(Connection& connection, std::string_view sql,
                                                   std::string_view key_id,
                                                   std::string_view session_id) {
  auto rows = connection.exec(sql, {text(key_id), text(session_id)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<LoginSession>();
  return std::optional<LoginSession>(session_at(*rows, 0));
}

}  // namespace

Result<LoginOutcome> PgSessionStore::login_session(
    const LoginSession& candidate, Instant now,
    const std::function<bool(const LoginSession&)>& reusable) {
  if (auto s = check_storable_text(
          "a session's key, id, user and token",
          {candidate.key_id, candidate.session_id, candidate.user_id, candidate.token});
      !s) {
    return fail(s.error());
  }
  return db_.write([&](Connection& connection) -> Result<LoginOutcome> {
    // Two rounds at most: when the session is absent and another node
    // creates it between our look and our insert, the insert does nothing
    // (it waited for that node's commit) and the second look locks its row.
    for (int round = 0; round < 2; ++round) {
      auto existing =
          select_session(connection, kSelectLocked, candidate.key_id, candidate.session_id);
      if (!existing) return fail(existing.error());
      if (*existing) {
        LoginSession& stored = **existing;
        if (stored.token_expires_at > now) {
          // A revoked session stays revoked while its token could still be
          // valid: overwriting the row would drop the only durable record of
          // the revocation (session_store.h).
          if (stored.revoked_at) {
            return fail(Error::conflict("this session was revoked; log in with a new session_id")
                            .with_reason("session_revoked"));
          }
          if (reusable(stored)) return LoginOutcome{std::move(stored), true};
        }
        auto replaced =
            connection.exec(kReplaceToken, {text(candidate.key_id), text(candidate.session_id),
                                            text(candidate.user_id), text(candidate.token),
                                            instant(candidate.token_issued_at),
                                            instant(candidate.token_expires_at)});
        if (!replaced) return fail(replaced.error());
        if (replaced->empty()) return fail(Error::internal("a locked login session vanished"));
        return LoginOutcome{session_at(*replaced, 0), false};
      }
      auto inserted = connection.exec(
          kInsert, {text(candidate.key_id), text(candidate.session_id), text(candidate.user_id),
                    instant(candidate.created_at), text(candidate.token),
                    instant(candidate.token_issued_at), instant(candidate.token_expires_at)});
      if (!inserted) return fail(inserted.error());
      if (!inserted->empty()) return LoginOutcome{session_at(*inserted, 0), false};
    }
    return fail(Error::internal("a login session was created and deleted during the login"));
  });
}

Result<std::optional<LoginSession>> PgSessionStore::find_session(std::string_view key_id,
                                                                 std::string_view session_id) {
  if (!is_storable_text(key_id) || !is_storable_text(session_id)) {
    return std::optional<LoginSession>();  // names no session
  }
  return db_.read([&](Connection& connection) {
    return select_session(connection, kSelect, key_id, session_id);
  });
}

Result<std::vector<LoginSession>> PgSessionStore::sessions_of_key(std::string_view key_id) {
  if (!is_storable_text(key_id)) return std::vector<LoginSession>();
  return db_.read([&](Connection& connection) -> Result<std::vector<LoginSession>> {
    auto rows = connection.exec(kSelectOfKey, {text(key_id)});
    if (!rows) return fail(rows.error());
    return sessions_at(*rows);
  });
}

Result<LoginSession> PgSessionStore::revoke_session(std::string_view key_id,
                                                    std::string_view session_id, Instant at) {
  if (!is_storable_text(key_id) || !is_storable_text(session_id)) {
    return fail(Error::not_found("no such session of this key"));
  }
  return db_.write([&](Connection& connection) -> Result<LoginSession> {
    // The session as it was before, read under the lock the update keeps.
    auto existing = select_session(connection, kSelectLocked, key_id, session_id);
    if (!existing) return fail(existing.error());
    if (!*existing) return fail(Error::not_found("no such session of this key"));
    auto marked = connection.exec(
        "UPDATE login_sessions SET revoked_at = $3 "
        "WHERE key_id = $1 AND session_id = $2 AND revoked_at IS NULL",
        {text(key_id), text(session_id), instant(at)});
    if (!marked) return fail(marked.error());
    return std::move(**existing);
  });
}

Result<std::vector<LoginSession>> PgSessionStore::revoked_sessions(Instant now) {
  return db_.read([&](Connection& connection) -> Result<std::vector<LoginSession>> {
    auto rows = connection.exec(kSelectRevoked, {instant(now)});
    if (!rows) return fail(rows.error());
    return sessions_at(*rows);
  });
}

Result<int> PgSessionStore::prune_sessions(Instant before) {
  return db_.write([&](Connection& connection) -> Result<int> {
    auto deleted = connection.exec("DELETE FROM login_sessions WHERE token_expires_at < $1",
                                   {instant(before)});
    if (!deleted) return fail(deleted.error());
    return static_cast<int>(deleted->affected());
  });
}

std::unique_ptr<SessionStore> make_pg_session_store(Database& db) {
  return std::make_unique<PgSessionStore>(db);
}

}  // namespace latchkey::pg
