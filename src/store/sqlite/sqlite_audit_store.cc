#include "store/sqlite/sqlite_audit_store.h"

#include <string>

#include "store/sqlite/audit_rows.h"

namespace latchkey::sqlite {

Status SqliteAuditStore::append(std::span<const AuditEvent> events) {
  if (events.empty()) return {};
  return db_.write(
      [&](Connection& connection) -> Status { return insert_audit_events(connection, events); });
}

Result<AuditPage> SqliteAuditStore::query(const AuditQuery& query) {
  if (query.limit < 1 || query.limit > kMaxAuditPageSize) {
    return fail(
        Error::invalid_request("limit must be between 1 and " + std::to_string(kMaxAuditPageSize)));
  }
  return db_.read([&](Connection& connection) -> Result<AuditPage> {
    return select_audit_events(connection, query);
  });
}

Result<std::vector<AuditClient>> SqliteAuditStore::clients_of(std::string_view principal_id,
                                                              Instant from, Instant to) {
  return db_.read([&](Connection& connection) -> Result<std::vector<AuditClient>> {
    return select_audit_clients(connection, principal_id, from, to);
  });
}

Result<std::vector<AuditActionUse>> SqliteAuditStore::action_usage(Instant from, Instant to) {
  return db_.read([&](Connection& connection) -> Result<std::vector<AuditActionUse>> {
    return select_audit_action_usage(connection, from, to);
  });
}

Result<std::int64_t> SqliteAuditStore::prune(Instant before) {
  return db_.write([&](Connection& connection) -> Result<std::int64_t> {
    return delete_audit_events_before(connection, before);
  });
}

}  // namespace latchkey::sqlite
