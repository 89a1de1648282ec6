#include "store/sqlite/session_rows.h"

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kSelect =
    "SELECT key_id, session_id, user_id, created_at, token, token_issued_at, token_expires_at, "
    "revoked_at FROM login_sessions ";

LoginSession session_at(const Statement& row) {
  LoginSession s;
  s.key_id = row.text_at(0);
  s.session_id = row.text_at(1);
  s.user_id = row.text_at(2);
  s.created_at = row.instant_at(3);
  s.token = row.text_at(4);
  s.token_issued_at = row.instant_at(5);
  s.token_expires_at = row.instant_at(6);
  if (const std::int64_t revoked = row.int_at(7); revoked != 0) {
    s.revoked_at = from_unix_millis(revoked);
  }
  return s;
}

Result<std::vector<LoginSession>> collect(Statement& statement) {
  std::vector<LoginSession> out;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(session_at(statement));
  }
  return out;
}

}  // namespace

Result<std::optional<LoginSession>> select_session(Connection& connection, std::string_view key_id,
                                                   std::string_view session_id) {
  auto statement = connection.prepare(std::string(kSelect) + "WHERE key_id = ? AND session_id = ?");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, key_id).bind_text(2, session_id);
  auto rows = collect(*statement);
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<LoginSession>();
  return std::optional<LoginSession>(std::move(rows->front()));
}

Result<std::vector<LoginSession>> select_sessions_of_key(Connection& connection,
                                                         std::string_view key_id) {
  auto statement =
      connection.prepare(std::string(kSelect) + "WHERE key_id = ? ORDER BY created_at, session_id");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, key_id);
  return collect(*statement);
}

Result<std::vector<LoginSession>> select_revoked_sessions(Connection& connection, Instant now) {
  auto statement =
      connection.prepare(std::string(kSelect) + "WHERE revoked_at != 0 AND token_expires_at > ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, now);
  return collect(*statement);
}

Status upsert_session(Connection& connection, const LoginSession& s) {
  auto statement = connection.prepare(
      "INSERT INTO login_sessions (key_id, session_id, user_id, created_at, token, "
      "token_issued_at, token_expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0) "
      "ON CONFLICT (key_id, session_id) DO UPDATE SET user_id = excluded.user_id, "
      "token = excluded.token, token_issued_at = excluded.token_issued_at, "
      "token_expires_at = excluded.token_expires_at, revoked_at = 0");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, s.key_id)
      .bind_text(2, s.session_id)
      .bind_text(3, s.user_id)
      .bind_instant(4, s.created_at)
      .bind_text(5, s.token)
      .bind_instant(6, s.token_issued_at)
      .bind_instant(7, s.token_expires_at);
  return statement->run();
}

Status mark_session_revoked(Connection& connection, std::string_view key_id,
                            std::string_view session_id, Instant at) {
  auto statement = connection.prepare(
      "UPDATE login_sessions SET revoked_at = ? "
      "WHERE key_id = ? AND session_id = ? AND revoked_at = 0");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, key_id).bind_text(3, session_id);
  return statement->run();
}

Result<int> delete_sessions_expired_before(Connection& connection, Instant before) {
  auto statement = connection.prepare("DELETE FROM login_sessions WHERE token_expires_at < ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, before);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

}  // namespace latchkey::sqlite
