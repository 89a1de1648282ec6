// The audit_events table (migration 3; `count` since migration 8) as calls
// on a connection the caller holds. Nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/audit_store.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

Status insert_audit_events(Connection& connection, std::span<const AuditEvent> events);

// `query.limit` must already be valid.
Result<AuditPage> select_audit_events(Connection& connection, const AuditQuery& query);

Result<std::vector<AuditClient>> select_audit_clients(Connection& connection,
                                                      std::string_view principal_id, Instant from,
                                                      Instant to);

Result<std::vector<AuditActionUse>> select_audit_action_usage(Connection& connection, Instant from,
                                                              Instant to);

Result<std::int64_t> delete_audit_events_before(Connection& connection, Instant before);

}  // namespace latchkey::sqlite
