#include "store/sqlite/sqlite_console_store.h"

#include <string>

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kSelectSession =
    "SELECT id, secret_digest, csrf_digest, user_id, created_at, last_seen_at, expires_at, ip, "
    "user_agent, ended_at, end_reason FROM console_sessions ";

Result<ConsoleSession> session_at(const Statement& row) {
  ConsoleSession s;
  s.id = row.text_at(0);
  auto secret = row.digest_at(1);
  if (!secret) return fail(secret.error());
  s.secret_digest = *secret;
  auto csrf = row.digest_at(2);
  if (!csrf) return fail(csrf.error());
  s.csrf_digest = *csrf;
  s.user_id = row.text_at(3);
  s.created_at = row.instant_at(4);
  s.last_seen_at = row.instant_at(5);
  s.expires_at = row.instant_at(6);
  s.ip = row.text_at(7);
  s.user_agent = row.text_at(8);
  if (const std::int64_t ended = row.int_at(9); ended != 0) s.ended_at = from_unix_millis(ended);
  s.end_reason = row.text_at(10);
  return s;
}

Result<std::vector<ConsoleSession>> collect_sessions(Statement& statement) {
  std::vector<ConsoleSession> out;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    auto session = session_at(statement);
    if (!session) return fail(session.error());
    out.push_back(std::move(*session));
  }
  return out;
}

Result<std::optional<ConsoleSession>> first_session(Statement& statement) {
  auto rows = collect_sessions(statement);
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<ConsoleSession>();
  return std::optional<ConsoleSession>(std::move(rows->front()));
}

Result<std::optional<ConsoleInvitation>> select_invitation(Connection& connection,
                                                           const Digest& digest) {
  auto statement = connection.prepare(
      "SELECT token_digest, user_id, created_at, expires_at, used_at FROM console_invitations "
      "WHERE token_digest = ?");
  if (!statement) return fail(statement.error());
  statement->bind_digest(1, digest);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<ConsoleInvitation>();
  ConsoleInvitation invitation;
  auto stored = statement->digest_at(0);
  if (!stored) return fail(stored.error());
  invitation.token_digest = *stored;
  invitation.user_id = statement->text_at(1);
  invitation.created_at = statement->instant_at(2);
  invitation.expires_at = statement->instant_at(3);
  if (const std::int64_t used = statement->int_at(4); used != 0) {
    invitation.used_at = from_unix_millis(used);
  }
  return std::optional<ConsoleInvitation>(std::move(invitation));
}

Result<int> end_sessions_of_user(Connection& connection, std::string_view user_id, Instant at,
                                 std::string_view reason) {
  auto statement = connection.prepare(
      "UPDATE console_sessions SET ended_at = ?, end_reason = ? "
      "WHERE user_id = ? AND ended_at = 0");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, reason).bind_text(3, user_id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

// The console session tokens not yet expired at `now` whose `column`
// (user_id or session_id, never caller input) equals `value`.
Result<std::vector<ConsoleSessionToken>> unexpired_session_tokens(Connection& connection,
                                                                  std::string_view column,
                                                                  std::string_view value,
                                                                  Instant now) {
  auto statement = connection.prepare(
      "SELECT token_id, session_id, user_id, expires_at FROM console_session_tokens WHERE " +
      std::string(column) + " = ? AND expires_at > ? ORDER BY token_id");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, value).bind_instant(2, now);
  std::vector<ConsoleSessionToken> out;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(ConsoleSessionToken{statement->text_at(0), statement->text_at(1),
                                      statement->text_at(2), statement->instant_at(3)});
  }
  return out;
}

}  // namespace

Status upsert_console_password(Connection& connection, std::string_view user_id,
                               std::string_view hash, Instant at) {
  auto statement = connection.prepare(
      "INSERT INTO console_passwords (user_id, hash, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, user_id).bind_text(2, hash).bind_instant(3, at);
  return statement->run();
}

Status SqliteConsoleStore::set_console_password(std::string_view user_id,
                                                std::string_view password_hash, Instant at) {
  return db_.write([&](Connection& connection) -> Status {
    return upsert_console_password(connection, user_id, password_hash, at);
  });
}

Result<std::optional<std::string>> SqliteConsoleStore::console_password_hash(
    std::string_view user_id) {
  return db_.read([&](Connection& connection) -> Result<std::optional<std::string>> {
    auto statement = connection.prepare("SELECT hash FROM console_passwords WHERE user_id = ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user_id);
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(statement->text_at(0));
  });
}

Status SqliteConsoleStore::create_console_session(const ConsoleSession& s) {
  return db_.write([&](Connection& connection) -> Status {
    auto statement = connection.prepare(
        "INSERT INTO console_sessions (id, secret_digest, csrf_digest, user_id, created_at, "
        "last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, s.id)
        .bind_digest(2, s.secret_digest)
        .bind_digest(3, s.csrf_digest)
        .bind_text(4, s.user_id)
        .bind_instant(5, s.created_at)
        .bind_instant(6, s.last_seen_at)
        .bind_instant(7, s.expires_at)
        .bind_text(8, s.ip)
        .bind_text(9, s.user_agent);
    return statement->run();
  });
}

Result<std::optional<ConsoleSession>> SqliteConsoleStore::find_console_session_by_secret(
    const Digest& secret_digest) {
  return db_.read([&](Connection& connection) -> Result<std::optional<ConsoleSession>> {
    auto statement = connection.prepare(std::string(kSelectSession) + "WHERE secret_digest = ?");
    if (!statement) return fail(statement.error());
    statement->bind_digest(1, secret_digest);
    return first_session(*statement);
  });
}

Result<std::optional<ConsoleSession>> SqliteConsoleStore::find_console_session(
    std::string_view id) {
  return db_.read([&](Connection& connection) -> Result<std::optional<ConsoleSession>> {
    auto statement = connection.prepare(std::string(kSelectSession) + "WHERE id = ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, id);
    return first_session(*statement);
  });
}

Result<std::vector<ConsoleSession>> SqliteConsoleStore::open_console_sessions_of_user(
    std::string_view user_id) {
  return db_.read([&](Connection& connection) -> Result<std::vector<ConsoleSession>> {
    auto statement = connection.prepare(
        std::string(kSelectSession) + "WHERE user_id = ? AND ended_at = 0 ORDER BY created_at, id");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user_id);
    return collect_sessions(*statement);
  });
}

Status SqliteConsoleStore::note_console_sessions_seen(const std::vector<ConsoleSessionSeen>& seen) {
  if (seen.empty()) return {};
  return db_.write([&](Connection& connection) -> Status {
    for (const ConsoleSessionSeen& one : seen) {
      auto statement = connection.prepare(
          "UPDATE console_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?");
      if (!statement) return fail(statement.error());
      statement->bind_instant(1, one.at).bind_text(2, one.session_id).bind_instant(3, one.at);
      if (auto s = statement->run(); !s) return s;
    }
    return {};
  });
}

Result<bool> SqliteConsoleStore::end_console_session(std::string_view id, Instant at,
                                                     std::string_view reason) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    auto statement = connection.prepare(
        "UPDATE console_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, at).bind_text(2, reason).bind_text(3, id);
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes() > 0;
  });
}

Result<int> SqliteConsoleStore::end_console_sessions_of_user(std::string_view user_id, Instant at,
                                                             std::string_view reason) {
  return db_.write([&](Connection& connection) {
    return end_sessions_of_user(connection, user_id, at, reason);
  });
}

Result<int> SqliteConsoleStore::prune_console_sessions(Instant before) {
  return db_.write([&](Connection& connection) -> Result<int> {
    auto statement = connection.prepare(
        "DELETE FROM console_sessions WHERE expires_at < ? OR (ended_at != 0 AND ended_at < ?)");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, before).bind_instant(2, before);
    if (auto s = statement->run(); !s) return fail(s.error());
    const int pruned = connection.changes();
    auto tokens = connection.prepare("DELETE FROM console_session_tokens WHERE expires_at < ?");
    if (!tokens) return fail(tokens.error());
    tokens->bind_instant(1, before);
    if (auto s = tokens->run(); !s) return fail(s.error());
    return pruned;
  });
}

Status SqliteConsoleStore::add_console_session_token(const ConsoleSessionToken& token) {
  return db_.write([&](Connection& connection) -> Status {
    // Inserted only while the session is open, in the same statement.
    auto statement = connection.prepare(
        "INSERT INTO console_session_tokens (token_id, session_id, user_id, expires_at) "
        "SELECT ?, ?, ?, ? WHERE EXISTS "
        "(SELECT 1 FROM console_sessions WHERE id = ? AND ended_at = 0)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, token.token_id)
        .bind_text(2, token.session_id)
        .bind_text(3, token.user_id)
        .bind_instant(4, token.expires_at)
        .bind_text(5, token.session_id);
    if (auto s = statement->run(); !s) return s;
    if (connection.changes() == 0) {
      return fail(Error::invalid_token("session_ended", "the console session has ended"));
    }
    return {};
  });
}

Result<std::vector<ConsoleSessionToken>> SqliteConsoleStore::console_session_tokens_of_user(
    std::string_view user_id, Instant now) {
  return db_.read([&](Connection& connection) {
    return unexpired_session_tokens(connection, "user_id", user_id, now);
  });
}

Result<std::vector<ConsoleSessionToken>> SqliteConsoleStore::console_session_tokens(
    std::string_view session_id, Instant now) {
  return db_.read([&](Connection& connection) {
    return unexpired_session_tokens(connection, "session_id", session_id, now);
  });
}

Status SqliteConsoleStore::put_console_invitation(const ConsoleInvitation& invitation) {
  return db_.write([&](Connection& connection) -> Status {
    auto statement = connection.prepare(
        "INSERT INTO console_invitations (token_digest, user_id, created_at, expires_at, used_at) "
        "VALUES (?, ?, ?, ?, 0) ON CONFLICT (user_id) DO UPDATE SET "
        "token_digest = excluded.token_digest, created_at = excluded.created_at, "
        "expires_at = excluded.expires_at, used_at = 0");
    if (!statement) return fail(statement.error());
    statement->bind_digest(1, invitation.token_digest)
        .bind_text(2, invitation.user_id)
        .bind_instant(3, invitation.created_at)
        .bind_instant(4, invitation.expires_at);
    return statement->run();
  });
}

Result<std::optional<ConsoleInvitation>> SqliteConsoleStore::find_console_invitation(
    const Digest& token_digest) {
  return db_.read(
      [&](Connection& connection) { return select_invitation(connection, token_digest); });
}

Result<ConsoleInvitation> SqliteConsoleStore::accept_console_invitation(
    const Digest& token_digest, std::string_view password_hash, Instant now) {
  return db_.write([&](Connection& connection) -> Result<ConsoleInvitation> {
    auto found = select_invitation(connection, token_digest);
    if (!found) return fail(found.error());
    if (!*found || (*found)->used_at || (*found)->expires_at <= now) {
      return fail(Error::not_found("the invitation is unknown, used or expired")
                      .with_reason("invitation_invalid"));
    }
    auto mark = connection.prepare(
        "UPDATE console_invitations SET used_at = ? WHERE token_digest = ? AND used_at = 0");
    if (!mark) return fail(mark.error());
    mark->bind_instant(1, now).bind_digest(2, token_digest);
    if (auto s = mark->run(); !s) return fail(s.error());
    if (auto s = upsert_console_password(connection, (*found)->user_id, password_hash, now); !s) {
      return fail(s.error());
    }
    auto ended = end_sessions_of_user(connection, (*found)->user_id, now, "password_set");
    if (!ended) return fail(ended.error());
    return std::move(**found);
  });
}

}  // namespace latchkey::sqlite
