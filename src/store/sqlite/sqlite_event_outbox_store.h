// SqliteEventOutboxStore: EventOutboxStore (see event_outbox_store.h) on the
// shared SQLite Database (table event_outbox, migration 15). Every write is
// one write job, so one transaction: a claim cannot hand one event to two
// callers, a dedup check cannot race its insert.
#pragma once

#include "store/event_outbox_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteEventOutboxStore final : public EventOutboxStore {
 public:
  explicit SqliteEventOutboxStore(Database& db) : db_(db) {}

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

}  // namespace latchkey::sqlite
