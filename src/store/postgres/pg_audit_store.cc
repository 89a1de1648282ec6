// AuditStore on PostgreSQL (audit_store.h), table audit_events
// (pg_schema_policy.cc, migration 302).
//
// Ids: append reserves one id per event from the shared sequence
// audit_event_ids in the INSERT itself (one round trip) and hands them out
// smallest first in the batch's order, so that ids increase within a batch
// as the contract says, whatever order nextval() ran in. Several nodes append
// concurrently without any lock; what that means for readers (ids follow
// reservation, not commit, order; the (at, id) keyset never skips a row
// that was committed before a walk began) is in docs/postgresql.md.
//
// Text: client-supplied fields may hold bytes PostgreSQL refuses in text
// (invalid UTF-8, NUL); they are stored with U+FFFD in their place
// (valid_utf8), and query filters get the same treatment so that they still
// match. Ordering and range filters are byte-wise (COLLATE "C" columns).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/audit_store.h"
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_policy_area.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

constexpr std::string_view kEventColumns =
    "SELECT id, at, principal_id, principal_name, credential, action, resource, decision, "
    "reason, client_ip, user_agent, integration, count FROM audit_events";

// One statement: reserves one id per event from the shared sequence, numbers
// the reserved ids in increasing order (whatever order nextval() ran in)
// and gives the k-th smallest to the k-th event of the batch. $1..$12 are
// the columns after id, one array each, in this order.
constexpr std::string_view kInsert =
    "WITH events AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], "
    "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
    "$12::bigint[]) WITH ORDINALITY AS e(at, principal_id, principal_name, credential, action, "
    "resource, decision, reason, client_ip, user_agent, integration, count, ord)), "
    "reserved AS (SELECT nextval('audit_event_ids') AS id FROM events), "
    "numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS ord FROM reserved) "
    "INSERT INTO audit_events (id, at, principal_id, principal_name, credential, action, "
    "resource, decision, reason, client_ip, user_agent, integration, count) "
    "SELECT n.id, e.at, e.principal_id, e.principal_name, e.credential, e.action, e.resource, "
    "e.decision, e.reason, e.client_ip, e.user_agent, e.integration, e.count "
    "FROM events e JOIN numbered n ON n.ord = e.ord";

// The text columns of a batch, one vector per column.
struct TextColumns {
  std::vector<std::string> principal_id, principal_name, credential, action, resource, decision,
      reason, client_ip, user_agent, integration;
};

Result<AuditEvent> event_at(const Rows& rows, int i) {
  AuditEvent event;
  event.id = int_at(rows, i, 0);
  event.at = instant_at(rows, i, 1);
  event.principal_id = text_at(rows, i, 2);
  event.principal_name = text_at(rows, i, 3);
  event.credential = text_at(rows, i, 4);
  event.action = text_at(rows, i, 5);
  event.resource = text_at(rows, i, 6);
  const auto decision = parse_audit_decision(rows.text(i, 7));
  if (!decision) return fail(Error::internal("store: corrupt row: unknown audit decision"));
  event.decision = *decision;
  event.reason = text_at(rows, i, 8);
  event.client_ip = text_at(rows, i, 9);
  event.user_agent = text_at(rows, i, 10);
  event.integration = text_at(rows, i, 11);
  const std::int64_t count = int_at(rows, i, 12);
  if (count < 1) return fail(Error::internal("store: corrupt row: audit count below 1"));
  event.count = static_cast<std::uint64_t>(count);
  return event;
}

// Splits string_agg's output on the unit separator it was joined with.
std::vector<std::string> split_units(std::string_view text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('\x1f', start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

class PgAuditStore final : public AuditStore {
 public:
  explicit PgAuditStore(Database& db) : db_(db) {}

  Status append(std::span<const AuditEvent> events) override {
    if (events.empty()) return {};
    std::vector<std::int64_t> at, count;
    TextColumns columns;
    for (const AuditEvent& e : events) {
      at.push_back(to_unix_millis(e.at));
      count.push_back(static_cast<std::int64_t>(std::max<std::uint64_t>(e.count, 1)));
      columns.principal_id.push_back(valid_utf8(e.principal_id));
      columns.principal_name.push_back(valid_utf8(e.principal_name));
      columns.credential.push_back(valid_utf8(e.credential));
      columns.action.push_back(valid_utf8(e.action));
      columns.resource.push_back(valid_utf8(e.resource));
      columns.decision.emplace_back(to_string(e.decision));
      columns.reason.push_back(valid_utf8(e.reason));
      columns.client_ip.push_back(valid_utf8(e.client_ip));
      columns.user_agent.push_back(valid_utf8(e.user_agent));
      columns.integration.push_back(valid_utf8(e.integration));
    }
    const std::vector<Param> values = {
        text(array_literal(at)),
        text(array_literal(columns.principal_id)),
        text(array_literal(columns.principal_name)),
        text(array_literal(columns.credential)),
        text(array_literal(columns.action)),
        text(array_literal(columns.resource)),
        text(array_literal(columns.decision)),
        text(array_literal(columns.reason)),
        text(array_literal(columns.client_ip)),
        text(array_literal(columns.user_agent)),
        text(array_literal(columns.integration)),
        text(array_literal(count)),
    };
    return db_.write([&](Connection& c) -> Status {
      // A retried attempt reserves afresh: the sequence never hands out a
      // value twice, and gaps are harmless.
      auto inserted = c.exec(kInsert, values);
      if (!inserted) return fail(inserted.error());
      return {};
    });
  }

  Result<AuditPage> query(const AuditQuery& query) override {
    if (query.limit < 1 || query.limit > kMaxAuditPageSize) {
      return fail(Error::invalid_request("limit must be between 1 and " +
                                         std::to_string(kMaxAuditPageSize)));
    }
    // The SQL is assembled from fixed fragments only; every value is bound.
    std::string where;
    std::vector<Param> params;
    auto bind = [&params](Param p) {
      params.push_back(std::move(p));
      return "$" + std::to_string(params.size());
    };
    auto clause = [&where](const std::string& condition) {
      where += where.empty() ? " WHERE " : " AND ";
      where += condition;
    };
    if (!query.principal_id.empty()) {
      clause("principal_id = " + bind(text(valid_utf8(query.principal_id))));
    }
    if (query.from) clause("at >= " + bind(instant(*query.from)) + "::bigint");
    if (query.to) clause("at < " + bind(instant(*query.to)) + "::bigint");
    if (query.decision) clause("decision = " + bind(text(to_string(*query.decision))));
    if (!query.action.empty()) {
      const std::string action = valid_utf8(query.action);
      if (query.action_prefix) {
        // A prefix is a range of the action index: [prefix, prefix + U+10FFFF).
        clause("action >= " + bind(text(action)) + " AND action < " +
               bind(text(action + "\xF4\x8F\xBF\xBF")));
      } else {
        clause("action = " + bind(text(action)));
      }
    }
    if (!query.key.empty()) {
      // lower() of a COLLATE "C" value folds ASCII letters only, as SQLite's.
      const std::string key = valid_utf8(query.key);
      const std::string k1 = bind(text(key));
      const std::string k2 = bind(text(key));
      clause("(strpos(lower(credential), lower(" + k1 + " COLLATE \"C\")) > 0 OR " +
             "strpos(resource, 'api_key/' || " + k2 + ") > 0)");
    }
    if (query.after) {
      const std::string at = bind(instant(query.after->at));
      const std::string id = bind(integer(query.after->id));
      clause("(at, id) < (" + at + "::bigint, " + id + "::bigint)");
    }
    const std::string limit = bind(integer(static_cast<std::int64_t>(query.limit) + 1));
    const std::string sql =
        std::string(kEventColumns) + where + " ORDER BY at DESC, id DESC LIMIT " + limit;
    return db_.read([&](Connection& c) -> Result<AuditPage> {
      auto rows = c.exec(sql, params);
      if (!rows) return fail(rows.error());
      AuditPage page;
      for (int i = 0; i < rows->size(); ++i) {
        if (page.events.size() == static_cast<std::size_t>(query.limit)) {
          page.next = AuditCursor{page.events.back().at, page.events.back().id};
          break;
        }
        auto event = event_at(*rows, i);
        if (!event) return fail(event.error());
        page.events.push_back(std::move(*event));
      }
      return page;
    });
  }

  Result<std::vector<AuditClient>> clients_of(std::string_view principal_id, Instant from,
                                              Instant to) override {
    // A row stands for `count` calls: calls are summed, never rows counted.
    return db_.read([&](Connection& c) -> Result<std::vector<AuditClient>> {
      auto rows = c.exec(
          "SELECT client_ip, user_agent, integration, string_agg(DISTINCT credential, E'\\x1f'), "
          "MIN(at), MAX(at), SUM(count)::bigint, "
          "COALESCE(SUM(count) FILTER (WHERE decision = 'deny'), 0)::bigint "
          "FROM audit_events WHERE principal_id = $1 AND at >= $2::bigint AND at < $3::bigint "
          "GROUP BY client_ip, user_agent, integration "
          "ORDER BY MAX(at) DESC, client_ip, user_agent, integration",
          {text(valid_utf8(principal_id)), instant(from), instant(to)});
      if (!rows) return fail(rows.error());
      std::vector<AuditClient> clients;
      for (int i = 0; i < rows->size(); ++i) {
        AuditClient client;
        client.client_ip = text_at(*rows, i, 0);
        client.user_agent = text_at(*rows, i, 1);
        client.integration = text_at(*rows, i, 2);
        for (std::string& credential : split_units(rows->text(i, 3))) {
          if (!credential.empty()) client.credentials.push_back(std::move(credential));
        }
        std::sort(client.credentials.begin(), client.credentials.end());
        client.first_seen = instant_at(*rows, i, 4);
        client.last_seen = instant_at(*rows, i, 5);
        client.calls = int_at(*rows, i, 6);
        client.denied = int_at(*rows, i, 7);
        clients.push_back(std::move(client));
      }
      return clients;
    });
  }

  Result<std::vector<AuditActionUse>> action_usage(Instant from, Instant to) override {
    // The name is the one of the group's newest row (as SQLite's bare column
    // next to MAX(at)); a row stands for `count` calls.
    return db_.read([&](Connection& c) -> Result<std::vector<AuditActionUse>> {
      auto rows = c.exec(
          "SELECT principal_id, (array_agg(principal_name ORDER BY at DESC, id DESC))[1], "
          "action, resource, "
          "COALESCE(SUM(count) FILTER (WHERE decision = 'allow'), 0)::bigint, "
          "COALESCE(SUM(count) FILTER (WHERE decision = 'deny'), 0)::bigint, MAX(at) "
          "FROM audit_events WHERE principal_id <> '' AND at >= $1::bigint AND at < $2::bigint "
          "GROUP BY principal_id, action, resource ORDER BY principal_id, action, resource",
          {instant(from), instant(to)});
      if (!rows) return fail(rows.error());
      std::vector<AuditActionUse> uses;
      for (int i = 0; i < rows->size(); ++i) {
        AuditActionUse use;
        use.principal_id = text_at(*rows, i, 0);
        use.principal_name = text_at(*rows, i, 1);
        use.action = text_at(*rows, i, 2);
        use.resource = text_at(*rows, i, 3);
        use.allowed = int_at(*rows, i, 4);
        use.denied = int_at(*rows, i, 5);
        use.last_seen = instant_at(*rows, i, 6);
        uses.push_back(std::move(use));
      }
      return uses;
    });
  }

  Result<std::int64_t> prune(Instant before) override {
    return db_.write([&](Connection& c) -> Result<std::int64_t> {
      auto deleted = c.exec("DELETE FROM audit_events WHERE at < $1::bigint", {instant(before)});
      if (!deleted) return fail(deleted.error());
      return deleted->affected();
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<AuditStore> make_pg_audit_store(Database& db) {
  return std::make_unique<PgAuditStore>(db);
}

}  // namespace latchkey::pg
