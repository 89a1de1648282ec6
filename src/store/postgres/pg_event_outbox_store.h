// PgEventOutboxStore: EventOutboxStore (see event_outbox_store.h) on the
// shared PostgreSQL Database, table event_outbox (pg_schema_core.cc; core
// writes it too, through pg_outbox_rows.h).
//
// Across nodes: a claim locks the due rows it takes with SELECT ... FOR
// UPDATE SKIP LOCKED and moves their next_attempt_at in the same statement,
// so two deliverers on any nodes never hold one event under the same claim
// (a row another node is claiming is skipped, one it claimed is no longer
// due); a dedup key is held by a unique index (a duplicate enqueued on
// another node at the same moment waits for it, then is dropped); marks
// are conditional UPDATEs, re-checked on the newest row version.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "store/event_outbox_store.h"
#include "store/postgres/pg_database.h"

namespace latchkey::pg {

class PgEventOutboxStore final : public EventOutboxStore {
 public:
  explicit PgEventOutboxStore(Database& db) : db_(db) {}

  Result<bool> enqueue(const NewOutboxEvent& event) override;
  Result<std::vector<OutboxEvent>> claim_due(Instant now, int limit, Duration lease) override;
  using EventOutboxStore::mark_delivered;
  Result<bool> mark_delivered(std::string_view id, Instant at,
                              std::optional<Instant> claim) override;
  Result<bool> mark_failed(std::string_view id, const OutboxFailure& failure) override;
  Result<OutboxEvent> requeue(std::string_view id, Instant now) override;
  Result<std::optional<OutboxEvent>> get(std::string_view id) override;
  Result<OutboxPage> list(const OutboxQuery& query) override;
  Result<OutboxCounts> counts() override;
  Result<std::optional<Instant>> next_due() override;
  Result<std::int64_t> prune(Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::pg
