#include "store/sqlite/audit_rows.h"

#include <algorithm>
#include <string>
#include <utility>

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kEventColumns =
    "SELECT id, at, principal_id, principal_name, credential, action, resource, decision, "
    "reason, client_ip, user_agent, integration, count FROM audit_events";

Result<AuditEvent> read_event(const Statement& row) {
  AuditEvent event;
  event.id = row.int_at(0);
  event.at = row.instant_at(1);
  event.principal_id = row.text_at(2);
  event.principal_name = row.text_at(3);
  event.credential = row.text_at(4);
  event.action = row.text_at(5);
  event.resource = row.text_at(6);
  const auto decision = parse_audit_decision(row.text_at(7));
  if (!decision) return fail(Error::internal("store: corrupt row: unknown audit decision"));
  event.decision = *decision;
  event.reason = row.text_at(8);
  event.client_ip = row.text_at(9);
  event.user_agent = row.text_at(10);
  event.integration = row.text_at(11);
  const std::int64_t count = row.int_at(12);
  if (count < 1) return fail(Error::internal("store: corrupt row: audit count below 1"));
  event.count = static_cast<std::uint64_t>(count);
  return event;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace

Status insert_audit_events(Connection& connection, std::span<const AuditEvent> events) {
  for (const AuditEvent& event : events) {
    auto statement = connection.prepare(
        "INSERT INTO audit_events (at, principal_id, principal_name, credential, action, "
        "resource, decision, reason, client_ip, user_agent, integration, count) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, event.at)
        .bind_text(2, event.principal_id)
        .bind_text(3, event.principal_name)
        .bind_text(4, event.credential)
        .bind_text(5, event.action)
        .bind_text(6, event.resource)
        .bind_text(7, to_string(event.decision))
        .bind_text(8, event.reason)
        .bind_text(9, event.client_ip)
        .bind_text(10, event.user_agent)
        .bind_text(11, event.integration)
        .bind_int(12, static_cast<std::int64_t>(event.count));
    if (auto s = statement->run(); !s) return s;
  }
  return {};
}

Result<AuditPage> select_audit_events(Connection& connection, const AuditQuery& query) {
  // The SQL is assembled from fixed fragments only; every value is bound.
  std::string sql(kEventColumns);
  std::string where;
  auto clause = [&where](std::string_view condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  };
  if (!query.principal_id.empty()) clause("principal_id = ?");
  if (query.from) clause("at >= ?");
  if (query.to) clause("at < ?");
  if (query.decision) clause("decision = ?");
  // A prefix is a range of the action index: [prefix, prefix + U+10FFFF).
  if (!query.action.empty())
    clause(query.action_prefix ? "action >= ? AND action < ?" : "action = ?");
  if (!query.key.empty()) {
    clause("(instr(lower(credential), lower(?)) > 0 OR instr(resource, 'api_key/' || ?) > 0)");
  }
  if (query.after) clause("(at, id) < (?, ?)");
  sql += where;
  sql += " ORDER BY at DESC, id DESC LIMIT ?";

  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  int index = 1;
  if (!query.principal_id.empty()) statement->bind_text(index++, query.principal_id);
  if (query.from) statement->bind_instant(index++, *query.from);
  if (query.to) statement->bind_instant(index++, *query.to);
  if (query.decision) statement->bind_text(index++, to_string(*query.decision));
  if (!query.action.empty()) {
    statement->bind_text(index++, query.action);
    if (query.action_prefix) statement->bind_text(index++, query.action + "\xF4\x8F\xBF\xBF");
  }
  if (!query.key.empty()) {
    statement->bind_text(index++, query.key);
    statement->bind_text(index++, query.key);
  }
  if (query.after) {
    statement->bind_instant(index++, query.after->at);
    statement->bind_int(index++, query.after->id);
  }
  statement->bind_int(index, static_cast<std::int64_t>(query.limit) + 1);

  AuditPage page;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (page.events.size() == static_cast<std::size_t>(query.limit)) {
      page.next = AuditCursor{page.events.back().at, page.events.back().id};
      break;
    }
    auto event = read_event(*statement);
    if (!event) return fail(event.error());
    page.events.push_back(std::move(*event));
  }
  return page;
}

Result<std::vector<AuditClient>> select_audit_clients(Connection& connection,
                                                      std::string_view principal_id, Instant from,
                                                      Instant to) {
  // A row stands for `count` calls: calls are summed, never rows counted.
  auto statement = connection.prepare(
      "SELECT client_ip, user_agent, integration, group_concat(DISTINCT credential), MIN(at), "
      "MAX(at), SUM(count), SUM(CASE WHEN decision = 'deny' THEN count ELSE 0 END) "
      "FROM audit_events "
      "WHERE principal_id = ? AND at >= ? AND at < ? "
      "GROUP BY client_ip, user_agent, integration "
      "ORDER BY MAX(at) DESC, client_ip, user_agent, integration");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, principal_id).bind_instant(2, from).bind_instant(3, to);
  std::vector<AuditClient> clients;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return clients;
    AuditClient client;
    client.client_ip = statement->text_at(0);
    client.user_agent = statement->text_at(1);
    client.integration = statement->text_at(2);
    for (std::string& credential : split_commas(statement->text_at(3))) {
      if (!credential.empty()) client.credentials.push_back(std::move(credential));
    }
    std::sort(client.credentials.begin(), client.credentials.end());
    client.first_seen = statement->instant_at(4);
    client.last_seen = statement->instant_at(5);
    client.calls = statement->int_at(6);
    client.denied = statement->int_at(7);
    clients.push_back(std::move(client));
  }
}

Result<std::vector<AuditActionUse>> select_audit_action_usage(Connection& connection, Instant from,
                                                              Instant to) {
  // The name is the one of the newest event in the group (SQLite returns the
  // bare column of the row that holds MAX(at)). A row stands for `count`
  // calls: calls are summed, never rows counted.
  auto statement = connection.prepare(
      "SELECT principal_id, principal_name, action, resource, "
      "SUM(CASE WHEN decision = 'allow' THEN count ELSE 0 END), "
      "SUM(CASE WHEN decision = 'deny' THEN count ELSE 0 END), MAX(at) FROM audit_events "
      "WHERE principal_id <> '' AND at >= ? AND at < ? "
      "GROUP BY principal_id, action, resource ORDER BY principal_id, action, resource");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, from).bind_instant(2, to);
  std::vector<AuditActionUse> uses;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return uses;
    AuditActionUse use;
    use.principal_id = statement->text_at(0);
    use.principal_name = statement->text_at(1);
    use.action = statement->text_at(2);
    use.resource = statement->text_at(3);
    use.allowed = statement->int_at(4);
    use.denied = statement->int_at(5);
    use.last_seen = statement->instant_at(6);
    uses.push_back(std::move(use));
  }
}

Result<std::int64_t> delete_audit_events_before(Connection& connection, Instant before) {
  auto statement = connection.prepare("DELETE FROM audit_events WHERE at < ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, before);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

}  // namespace latchkey::sqlite
