#include "store/postgres/pg_token_rows.h"

#include <string>

#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

// Deletes the selected live rows and tombstones them in one statement,
// keeping their expires_at; a token already expired when it ended is
// remembered as expired. A digest that ended before, was issued again and
// ends again keeps its latest end. $1-$5: the ending; $6: the key.
std::string end_where(std::string_view condition) {
  return "WITH ended AS (DELETE FROM account_tokens WHERE " + std::string(condition) +
         " RETURNING digest, user_id, expires_at)"
         " INSERT INTO token_tombstones"
         " (digest, user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent)"
         " SELECT digest, user_id, CASE WHEN expires_at <= $2::bigint THEN 'expired' ELSE $1 END,"
         " $2::bigint, expires_at, $3, $4, $5 FROM ended"
         " ON CONFLICT (digest) DO UPDATE SET user_id = excluded.user_id,"
         " reason = excluded.reason, ended_at = excluded.ended_at,"
         " expires_at = excluded.expires_at, by_client_id = excluded.by_client_id,"
         " by_ip = excluded.by_ip, by_user_agent = excluded.by_user_agent";
}

const std::string& end_of_user_sql() {
  static const std::string sql = end_where("user_id = $6");
  return sql;
}

const std::string& end_one_sql() {
  static const std::string sql = end_where("digest = $6");
  return sql;
}

Result<int> end_selected(Connection& connection, const std::string& sql, Param key,
                         const TokenEnding& ending) {
  auto ended = connection.exec(
      sql, {text(to_string(ending.reason)), instant(ending.at), text(ending.by_client_id),
            text(ending.by_ip), text(ending.by_user_agent), std::move(key)});
  if (!ended) return fail(ended.error());
  return static_cast<int>(ended->affected());
}

}  // namespace

Result<int> end_tokens_of_user(Connection& connection, std::string_view user_id,
                               const TokenEnding& ending) {
  return end_selected(connection, end_of_user_sql(), text(user_id), ending);
}

Result<bool> end_token(Connection& connection, const Digest& digest, const TokenEnding& ending) {
  auto ended = end_selected(connection, end_one_sql(), pg::digest(digest), ending);
  if (!ended) return fail(ended.error());
  return *ended > 0;
}

Status insert_account_token(Connection& connection, const AccountToken& token) {
  // One round trip: the tombstone of a digest issued again is forgotten in
  // the same statement.
  auto inserted = connection.exec(
      "WITH forgotten AS (DELETE FROM token_tombstones WHERE digest = $1)"
      " INSERT INTO account_tokens"
      " (digest, user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent)"
      " VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7)",
      {digest(token.digest), text(token.user_id), text(token.client_id), instant(token.issued_at),
       instant(token.expires_at), text(token.issuer_ip), text(token.issuer_user_agent)});
  if (!inserted) return fail(inserted.error());
  return {};
}

Result<std::optional<AccountToken>> select_account_token(Connection& connection,
                                                         const Digest& digest) {
  auto rows = connection.exec(
      "SELECT user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent"
      " FROM account_tokens WHERE digest = $1",
      {pg::digest(digest)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<AccountToken>();
  AccountToken token;
  token.digest = digest;
  token.user_id = text_at(*rows, 0, 0);
  token.client_id = text_at(*rows, 0, 1);
  token.issued_at = instant_at(*rows, 0, 2);
  token.expires_at = instant_at(*rows, 0, 3);
  token.issuer_ip = text_at(*rows, 0, 4);
  token.issuer_user_agent = text_at(*rows, 0, 5);
  return std::optional<AccountToken>(std::move(token));
}

Result<std::optional<TokenTombstone>> select_tombstone(Connection& connection,
                                                       const Digest& digest) {
  auto rows = connection.exec(
      "SELECT user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent"
      " FROM token_tombstones WHERE digest = $1",
      {pg::digest(digest)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<TokenTombstone>();
  TokenTombstone tombstone;
  tombstone.digest = digest;
  tombstone.user_id = text_at(*rows, 0, 0);
  const auto reason = parse_token_end_reason(rows->text(0, 1));
  if (!reason) return fail(Error::internal("store: corrupt row: unknown token end reason"));
  tombstone.reason = *reason;
  tombstone.ended_at = instant_at(*rows, 0, 2);
  tombstone.expires_at = instant_at(*rows, 0, 3);
  tombstone.by_client_id = text_at(*rows, 0, 4);
  tombstone.by_ip = text_at(*rows, 0, 5);
  tombstone.by_user_agent = text_at(*rows, 0, 6);
  return std::optional<TokenTombstone>(std::move(tombstone));
}

Result<int> delete_tombstones_expired_before(Connection& connection, Instant now) {
  auto deleted =
      connection.exec("DELETE FROM token_tombstones WHERE expires_at < $1::bigint", {instant(now)});
  if (!deleted) return fail(deleted.error());
  return static_cast<int>(deleted->affected());
}

}  // namespace latchkey::pg
