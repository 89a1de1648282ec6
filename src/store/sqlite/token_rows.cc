#include "store/sqlite/token_rows.h"

#include <utility>

namespace latchkey::sqlite {
namespace {

// Tombstoning copies the selected live rows, keeping their expires_at; the
// ending fills parameters 1-5, the key parameter 6. A token that had already
// expired when it ended is remembered as expired, whatever ended it. OR REPLACE: a digest
// that ended before, was issued again and ends again keeps its latest end.
constexpr std::string_view kTombstoneTokensOfUser =
    "INSERT OR REPLACE INTO token_tombstones "
    "(digest, user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent) "
    "SELECT digest, user_id, CASE WHEN expires_at <= ?2 THEN 'expired' ELSE ?1 END, ?2, "
    "expires_at, ?3, ?4, ?5 FROM account_tokens WHERE user_id = ?6";
constexpr std::string_view kDeleteTokensOfUser = "DELETE FROM account_tokens WHERE user_id = ?";

constexpr std::string_view kTombstoneToken =
    "INSERT OR REPLACE INTO token_tombstones "
    "(digest, user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent) "
    "SELECT digest, user_id, CASE WHEN expires_at <= ?2 THEN 'expired' ELSE ?1 END, ?2, "
    "expires_at, ?3, ?4, ?5 FROM account_tokens WHERE digest = ?6";
constexpr std::string_view kDeleteToken = "DELETE FROM account_tokens WHERE digest = ?";

Status copy_to_tombstones(Statement& statement, const TokenEnding& ending) {
  statement.bind_text(1, to_string(ending.reason))
      .bind_instant(2, ending.at)
      .bind_text(3, ending.by_client_id)
      .bind_text(4, ending.by_ip)
      .bind_text(5, ending.by_user_agent);
  return statement.run();
}

}  // namespace

Result<int> end_tokens_of_user(Connection& connection, std::string_view user_id,
                               const TokenEnding& ending) {
  {
    auto statement = connection.prepare(kTombstoneTokensOfUser);
    if (!statement) return fail(statement.error());
    statement->bind_text(6, user_id);
    if (auto s = copy_to_tombstones(*statement, ending); !s) return fail(s.error());
  }
  auto statement = connection.prepare(kDeleteTokensOfUser);
  if (!statement) return fail(statement.error());
  statement->bind_text(1, user_id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<bool> end_token(Connection& connection, const Digest& digest, const TokenEnding& ending) {
  {
    auto statement = connection.prepare(kTombstoneToken);
    if (!statement) return fail(statement.error());
    statement->bind_digest(6, digest);
    if (auto s = copy_to_tombstones(*statement, ending); !s) return fail(s.error());
  }
  auto statement = connection.prepare(kDeleteToken);
  if (!statement) return fail(statement.error());
  statement->bind_digest(1, digest);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes() > 0;
}

Status insert_account_token(Connection& connection, const AccountToken& token) {
  {
    auto statement = connection.prepare("DELETE FROM token_tombstones WHERE digest = ?");
    if (!statement) return fail(statement.error());
    statement->bind_digest(1, token.digest);
    if (auto s = statement->run(); !s) return s;
  }
  auto statement = connection.prepare(
      "INSERT INTO account_tokens "
      "(digest, user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_digest(1, token.digest)
      .bind_text(2, token.user_id)
      .bind_text(3, token.client_id)
      .bind_instant(4, token.issued_at)
      .bind_instant(5, token.expires_at)
      .bind_text(6, token.issuer_ip)
      .bind_text(7, token.issuer_user_agent);
  return statement->run();
}

Result<std::optional<AccountToken>> select_account_token(Connection& connection,
                                                         const Digest& digest) {
  auto statement = connection.prepare(
      "SELECT user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent "
      "FROM account_tokens WHERE digest = ?");
  if (!statement) return fail(statement.error());
  statement->bind_digest(1, digest);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<AccountToken>();
  AccountToken token;
  token.digest = digest;
  token.user_id = statement->text_at(0);
  token.client_id = statement->text_at(1);
  token.issued_at = statement->instant_at(2);
  token.expires_at = statement->instant_at(3);
  token.issuer_ip = statement->text_at(4);
  token.issuer_user_agent = statement->text_at(5);
  return std::optional<AccountToken>(std::move(token));
}

Result<std::optional<TokenTombstone>> select_tombstone(Connection& connection,
                                                       const Digest& digest) {
  auto statement = connection.prepare(
      "SELECT user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent "
      "FROM token_tombstones WHERE digest = ?");
  if (!statement) return fail(statement.error());
  statement->bind_digest(1, digest);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<TokenTombstone>();
  TokenTombstone tombstone;
  tombstone.digest = digest;
  tombstone.user_id = statement->text_at(0);
  const auto reason = parse_token_end_reason(statement->text_at(1));
  if (!reason) return fail(Error::internal("store: corrupt row: unknown token end reason"));
  tombstone.reason = *reason;
  tombstone.ended_at = statement->instant_at(2);
  tombstone.expires_at = statement->instant_at(3);
  tombstone.by_client_id = statement->text_at(4);
  tombstone.by_ip = statement->text_at(5);
  tombstone.by_user_agent = statement->text_at(6);
  return std::optional<TokenTombstone>(std::move(tombstone));
}

Result<int> delete_tombstones_expired_before(Connection& connection, Instant now) {
  auto statement = connection.prepare("DELETE FROM token_tombstones WHERE expires_at < ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, now);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

}  // namespace latchkey::sqlite
