#include "store/sqlite/sqlite_usage_store.h"

#include <string>

#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

Status SqliteUsageStore::add_usage(const std::vector<UsageRow>& rows) {
  if (rows.empty()) return {};
  // One write job: one transaction, so a flush is stored whole or not at all.
  return db_.write([&](Connection& connection) -> Status {
    for (const UsageRow& row : rows) {
      auto statement = connection.prepare(
          "INSERT INTO key_usage (key_id, granularity, bucket_start, route, status_class, count) "
          "VALUES (?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (key_id, granularity, bucket_start, route, status_class) "
          "DO UPDATE SET count = count + excluded.count");
      if (!statement) return fail(statement.error());
      statement->bind_text(1, row.key_id)
          .bind_text(2, to_string(row.granularity))
          .bind_instant(3, row.bucket_start)
          .bind_text(4, row.route)
          .bind_text(5, row.status_class)
          .bind_int(6, row.count);
      if (auto s = statement->run(); !s) return fail(s.error());
    }
    return {};
  });
}

Result<std::vector<UsageRow>> SqliteUsageStore::usage_of_key(std::string_view key_id,
                                                             UsageGranularity granularity,
                                                             Instant from, Instant to) {
  return db_.read([&](Connection& connection) -> Result<std::vector<UsageRow>> {
    auto statement = connection.prepare(
        "SELECT bucket_start, route, status_class, count FROM key_usage "
        "WHERE key_id = ? AND granularity = ? AND bucket_start >= ? AND bucket_start < ? "
        "ORDER BY bucket_start, route, status_class");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, key_id)
        .bind_text(2, to_string(granularity))
        .bind_instant(3, from)
        .bind_instant(4, to);
    std::vector<UsageRow> out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      out.push_back(UsageRow{std::string(key_id), granularity, statement->instant_at(0),
                             statement->text_at(1), statement->text_at(2), statement->int_at(3)});
    }
    return out;
  });
}

Result<int> SqliteUsageStore::prune_usage(UsageGranularity granularity, Instant before) {
  return db_.write([&](Connection& connection) -> Result<int> {
    auto statement =
        connection.prepare("DELETE FROM key_usage WHERE granularity = ? AND bucket_start < ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, to_string(granularity)).bind_instant(2, before);
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes();
  });
}

}  // namespace latchkey::sqlite
