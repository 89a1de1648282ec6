#include "store/postgres/pg_origin_rows.h"

#include <set>

#include "core/cidr.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {

Result<std::vector<std::string>> select_allowed_origins(Connection& connection, OriginOwner owner,
                                                        std::string_view owner_id) {
  auto rows = connection.exec(
      "SELECT cidrs FROM " + origin_table(owner) + " WHERE " + origin_owner_column(owner) + " = $1",
      {text(owner_id)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::vector<std::string>();
  return split_origins(rows->text(0, 0));
}

Result<std::map<std::string, std::vector<std::string>, std::less<>>> select_all_allowed_origins(
    Connection& connection, OriginOwner owner) {
  auto rows = connection.exec("SELECT " + origin_owner_column(owner) + ", cidrs FROM " +
                              origin_table(owner));
  if (!rows) return fail(rows.error());
  std::map<std::string, std::vector<std::string>, std::less<>> all;
  for (int i = 0; i < rows->size(); ++i)
    all[text_at(*rows, i, 0)] = split_origins(rows->text(i, 1));
  return all;
}

Status replace_allowed_origins(Connection& connection, OriginOwner owner, std::string_view owner_id,
                               const std::vector<std::string>& cidrs) {
  const std::string table = origin_table(owner);
  const std::string column = origin_owner_column(owner);
  auto done = cidrs.empty() ? connection.exec("DELETE FROM " + table + " WHERE " + column + " = $1",
                                              {text(owner_id)})
                            : connection.exec("INSERT INTO " + table + " (" + column +
                                                  ", cidrs) VALUES ($1, $2)" + " ON CONFLICT (" +
                                                  column + ") DO UPDATE SET cidrs = excluded.cidrs",
                                              {text(owner_id), text(join_origins(cidrs))});
  if (!done) return fail(done.error());
  return {};
}

Result<std::optional<TokenInterference>> select_interference(Connection& connection,
                                                             std::string_view user_id) {
  auto rows = connection.exec(
      "SELECT client_id, first_seen, last_seen, regenerations, origins, alarmed_at, alarms"
      " FROM token_interference WHERE user_id = $1",
      {text(user_id)});
  if (!rows && connection.refused_text()) return std::optional<TokenInterference>();  // no row
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<TokenInterference>();
  TokenInterference t;
  t.user_id = std::string(user_id);
  t.client_id = text_at(*rows, 0, 0);
  t.first_seen = instant_at(*rows, 0, 1);
  t.last_seen = instant_at(*rows, 0, 2);
  t.regenerations = static_cast<int>(int_at(*rows, 0, 3));
  t.origins = split_origins(rows->text(0, 4));
  t.alarmed_at = instant_at(*rows, 0, 5);
  t.alarms = static_cast<int>(int_at(*rows, 0, 6));
  return std::optional<TokenInterference>(std::move(t));
}

Result<std::optional<TokenInterference>> watch_issuance(Connection& connection,
                                                        const AccountToken& token,
                                                        const InterferenceRule& rule) {
  const Instant now = token.issued_at;
  const Instant since = now - rule.window;  // the window is (since, now]
  // Bounded by the window: every user's issuances older than it go, in the
  // statement that records this one. Rows another node is deleting right
  // now are skipped rather than waited for, so that issuers of different
  // users never queue behind each other.
  auto recorded = connection.exec(
      "WITH forgotten AS (DELETE FROM account_token_issuances WHERE id IN"
      " (SELECT id FROM account_token_issuances WHERE issued_at <= $5::bigint"
      " FOR UPDATE SKIP LOCKED))"
      " INSERT INTO account_token_issuances (user_id, client_id, ip, issued_at)"
      " VALUES ($1, $2, $3, $4::bigint)",
      {text(token.user_id), text(token.client_id), text(token.issuer_ip), instant(now),
       instant(since)});
  if (!recorded) return fail(recorded.error());
  if (rule.threshold <= 0) return std::optional<TokenInterference>();

  auto window = connection.exec(
      "SELECT COUNT(*), COALESCE(MIN(issued_at), 0) FROM account_token_issuances"
      " WHERE user_id = $1 AND issued_at > $2::bigint",
      {text(token.user_id), instant(since)});
  if (!window) return fail(window.error());
  return apply_interference_rule(connection, token, rule, static_cast<int>(int_at(*window, 0, 0)),
                                 instant_at(*window, 0, 1));
}

Result<std::optional<TokenInterference>> apply_interference_rule(Connection& connection,
                                                                 const AccountToken& token,
                                                                 const InterferenceRule& rule,
                                                                 int regenerations, Instant first) {
  const Instant now = token.issued_at;
  const Instant since = now - rule.window;
  // seed 000: the N+1-th issuance in the window is the first that alarms.
  if (rule.threshold <= 0 || regenerations <= rule.threshold) {
    return std::optional<TokenInterference>();
  }
  auto addresses = connection.exec(
      "SELECT DISTINCT ip FROM account_token_issuances"
      " WHERE user_id = $1 AND issued_at > $2::bigint AND ip <> ''",
      {text(token.user_id), instant(since)});
  if (!addresses) return fail(addresses.error());
  // Distinct origins, not addresses: an IPv6 /64 counts once.
  std::set<std::string> blocks;
  for (int i = 0; i < addresses->size(); ++i) blocks.insert(origin_block(addresses->text(i, 0)));
  if (blocks.size() < 2) return std::optional<TokenInterference>();
  std::vector<std::string> origins;
  for (const std::string& block : blocks) {
    if (origins.size() == kMaxInterferenceOrigins) break;
    origins.push_back(block);
  }

  auto existing = select_interference(connection, token.user_id);
  if (!existing) return fail(existing.error());
  TokenInterference t;
  t.user_id = token.user_id;
  t.client_id = token.client_id;
  t.last_seen = now;
  t.regenerations = regenerations;
  t.origins = std::move(origins);
  const bool ongoing = *existing && (*existing)->last_seen > since;
  t.first_seen = ongoing ? (*existing)->first_seen : first;
  // At most one alarm per window.
  const bool alarm = !*existing || (*existing)->alarmed_at <= since;
  t.alarmed_at = alarm ? now : (*existing)->alarmed_at;
  t.alarms = (*existing ? (*existing)->alarms : 0) + (alarm ? 1 : 0);
  auto stored = connection.exec(
      "INSERT INTO token_interference"
      " (user_id, client_id, first_seen, last_seen, regenerations, origins, alarmed_at, alarms)"
      " VALUES ($1, $2, $3::bigint, $4::bigint, $5::integer, $6, $7::bigint, $8::integer)"
      " ON CONFLICT (user_id) DO UPDATE SET client_id = excluded.client_id,"
      " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
      " regenerations = excluded.regenerations, origins = excluded.origins,"
      " alarmed_at = excluded.alarmed_at, alarms = excluded.alarms",
      {text(t.user_id), text(t.client_id), instant(t.first_seen), instant(t.last_seen),
       integer(t.regenerations), text(join_origins(t.origins)), instant(t.alarmed_at),
       integer(t.alarms)});
  if (!stored) return fail(stored.error());
  if (!alarm) return std::optional<TokenInterference>();
  return std::optional<TokenInterference>(std::move(t));
}

}  // namespace latchkey::pg
