#include "store/sqlite/origin_rows.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/cidr.h"

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kSelectInterference =
    "SELECT client_id, first_seen, last_seen, regenerations, origins, alarmed_at, alarms "
    "FROM token_interference WHERE user_id = ?";

constexpr std::string_view kUpsertInterference =
    "INSERT INTO token_interference "
    "(user_id, client_id, first_seen, last_seen, regenerations, origins, alarmed_at, alarms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (user_id) DO UPDATE SET "
    "client_id = ?2, first_seen = ?3, last_seen = ?4, regenerations = ?5, origins = ?6, "
    "alarmed_at = ?7, alarms = ?8";

}  // namespace

Result<std::vector<std::string>> select_allowed_origins(Connection& connection, OriginOwner owner,
                                                        std::string_view owner_id) {
  const std::string sql =
      "SELECT cidrs FROM " + origin_table(owner) + " WHERE " + origin_owner_column(owner) + " = ?";
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  statement->bind_text(1, owner_id);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::vector<std::string>();
  return split_origins(statement->text_at(0));
}

Result<std::map<std::string, std::vector<std::string>, std::less<>>> select_all_allowed_origins(
    Connection& connection, OriginOwner owner) {
  const std::string sql =
      "SELECT " + origin_owner_column(owner) + ", cidrs FROM " + origin_table(owner);
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  std::map<std::string, std::vector<std::string>, std::less<>> all;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return all;
    all[statement->text_at(0)] = split_origins(statement->text_at(1));
  }
}

Status replace_allowed_origins(Connection& connection, OriginOwner owner, std::string_view owner_id,
                               const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) {
    auto statement = connection.prepare("DELETE FROM " + origin_table(owner) + " WHERE " +
                                        origin_owner_column(owner) + " = ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, owner_id);
    return statement->run();
  }
  auto statement = connection.prepare("INSERT OR REPLACE INTO " + origin_table(owner) + " (" +
                                      origin_owner_column(owner) + ", cidrs) VALUES (?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, owner_id).bind_text(2, join_origins(cidrs));
  return statement->run();
}

Result<std::optional<TokenInterference>> select_interference(Connection& connection,
                                                             std::string_view user_id) {
  auto statement = connection.prepare(kSelectInterference);
  if (!statement) return fail(statement.error());
  statement->bind_text(1, user_id);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<TokenInterference>();
  TokenInterference t;
  t.user_id = std::string(user_id);
  t.client_id = statement->text_at(0);
  t.first_seen = statement->instant_at(1);
  t.last_seen = statement->instant_at(2);
  t.regenerations = static_cast<int>(statement->int_at(3));
  t.origins = split_origins(statement->text_at(4));
  t.alarmed_at = statement->instant_at(5);
  t.alarms = static_cast<int>(statement->int_at(6));
  return std::optional<TokenInterference>(std::move(t));
}

Result<std::optional<TokenInterference>> watch_issuance(Connection& connection,
                                                        const AccountToken& token,
                                                        const InterferenceRule& rule) {
  const Instant now = token.issued_at;
  const Instant since = now - rule.window;  // the window is (since, now]
  {
    // Bounded by the window: every user's issuances older than it go.
    auto statement = connection.prepare("DELETE FROM account_token_issuances WHERE issued_at <= ?");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, since);
    if (auto s = statement->run(); !s) return fail(s.error());
  }
  {
    auto statement = connection.prepare(
        "INSERT INTO account_token_issuances (user_id, client_id, ip, issued_at) "
        "VALUES (?, ?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, token.user_id)
        .bind_text(2, token.client_id)
        .bind_text(3, token.issuer_ip)
        .bind_instant(4, now);
    if (auto s = statement->run(); !s) return fail(s.error());
  }
  if (rule.threshold <= 0) return std::optional<TokenInterference>();
  int regenerations = 0;
  Instant first;
  {
    auto statement = connection.prepare(
        "SELECT COUNT(*), COALESCE(MIN(issued_at), 0) FROM account_token_issuances "
        "WHERE user_id = ? AND issued_at > ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, token.user_id).bind_instant(2, since);
    auto row = statement->step();
    if (!row) return fail(row.error());
    regenerations = static_cast<int>(statement->int_at(0));
    first = statement->instant_at(1);
  }
  // seed 000: one token per user, so the N+1-th issuance in the window is
  // the first that alarms; N never does.
  if (regenerations <= rule.threshold) return std::optional<TokenInterference>();
  // Distinct origins, not addresses: an IPv6 /64 counts once, so one host
  // whose privacy addresses rotate is not taken for several clients.
  std::set<std::string> blocks;
  {
    auto statement = connection.prepare(
        "SELECT DISTINCT ip FROM account_token_issuances "
        "WHERE user_id = ? AND issued_at > ? AND ip != ''");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, token.user_id).bind_instant(2, since);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      blocks.insert(origin_block(statement->text_at(0)));
    }
  }
  // One origin only is one client regenerating often, not interference.
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
  // An episode goes on while the rule keeps being met within a window of
  // its last sighting; a later one starts afresh.
  const bool ongoing = *existing && (*existing)->last_seen > since;
  t.first_seen = ongoing ? (*existing)->first_seen : first;
  // At most one alarm per window: a burst that lasts raises one an hour.
  const bool alarm = !*existing || (*existing)->alarmed_at <= since;
  t.alarmed_at = alarm ? now : (*existing)->alarmed_at;
  t.alarms = (*existing ? (*existing)->alarms : 0) + (alarm ? 1 : 0);
  {
    auto statement = connection.prepare(kUpsertInterference);
    if (!statement) return fail(statement.error());
    statement->bind_text(1, t.user_id)
        .bind_text(2, t.client_id)
        .bind_instant(3, t.first_seen)
        .bind_instant(4, t.last_seen)
        .bind_int(5, t.regenerations)
        .bind_text(6, join_origins(t.origins))
        .bind_instant(7, t.alarmed_at)
        .bind_int(8, t.alarms);
    if (auto s = statement->run(); !s) return fail(s.error());
  }
  if (!alarm) return std::optional<TokenInterference>();
  return std::optional<TokenInterference>(std::move(t));
}

}  // namespace latchkey::sqlite
