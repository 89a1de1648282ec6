#include "store/postgres/pg_usage_store.h"

#include <memory>
#include <string>

#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_text.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

// Rows of one flush that share a key are summed first: one statement may
// not update a row twice. ORDER BY: the lock order (see the header).
constexpr std::string_view kAdd =
    "INSERT INTO key_usage (key_id, granularity, bucket_start, route, status_class, count) "
    "SELECT key_id, granularity, bucket_start, route, status_class, sum(count)::bigint "
    "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[]) "
    "AS u (key_id, granularity, bucket_start, route, status_class, count) "
    "GROUP BY key_id, granularity, bucket_start, route, status_class "
    "ORDER BY key_id, granularity, bucket_start, route, status_class "
    "ON CONFLICT (key_id, granularity, bucket_start, route, status_class) "
    "DO UPDATE SET count = key_usage.count + excluded.count";

}  // namespace

Status PgUsageStore::add_usage(const std::vector<UsageRow>& rows) {
  if (rows.empty()) return {};
  std::vector<std::string_view> keys, granularities, routes, classes;
  std::vector<std::int64_t> buckets, counts;
  for (const UsageRow& row : rows) {
    if (auto s = check_storable_text("a usage row's key, route and status class",
                                     {row.key_id, row.route, row.status_class});
        !s) {
      return s;  // nothing of the flush is written
    }
    keys.push_back(row.key_id);
    granularities.push_back(to_string(row.granularity));
    buckets.push_back(to_unix_millis(row.bucket_start));
    routes.push_back(row.route);
    classes.push_back(row.status_class);
    counts.push_back(row.count);
  }
  const std::vector<Param> params = {array_param(keys),    array_param(granularities),
                                     array_param(buckets), array_param(routes),
                                     array_param(classes), array_param(counts)};
  // One statement in one transaction: a flush is stored whole or not at all.
  return db_.write([&](Connection& connection) -> Status {
    auto added = connection.exec(kAdd, params);
    if (!added) return fail(added.error());
    return {};
  });
}

Result<std::vector<UsageRow>> PgUsageStore::usage_of_key(std::string_view key_id,
                                                         UsageGranularity granularity, Instant from,
                                                         Instant to) {
  if (!is_storable_text(key_id)) return std::vector<UsageRow>();
  return db_.read([&](Connection& connection) -> Result<std::vector<UsageRow>> {
    auto rows = connection.exec(
        "SELECT bucket_start, route, status_class, count FROM key_usage "
        "WHERE key_id = $1 AND granularity = $2 AND bucket_start >= $3 AND bucket_start < $4 "
        "ORDER BY bucket_start, route COLLATE \"C\", status_class COLLATE \"C\"",
        {text(key_id), text(to_string(granularity)), instant(from), instant(to)});
    if (!rows) return fail(rows.error());
    std::vector<UsageRow> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int r = 0; r < rows->size(); ++r) {
      out.push_back(UsageRow{std::string(key_id), granularity, instant_at(*rows, r, 0),
                             text_at(*rows, r, 1), text_at(*rows, r, 2), int_at(*rows, r, 3)});
    }
    return out;
  });
}

Result<int> PgUsageStore::prune_usage(UsageGranularity granularity, Instant before) {
  return db_.write([&](Connection& connection) -> Result<int> {
    auto deleted =
        connection.exec("DELETE FROM key_usage WHERE granularity = $1 AND bucket_start < $2",
                        {text(to_string(granularity)), instant(before)});
    if (!deleted) return fail(deleted.error());
    return static_cast<int>(deleted->affected());
  });
}

std::unique_ptr<UsageStore> make_pg_usage_store(Database& db) {
  return std::make_unique<PgUsageStore>(db);
}

}  // namespace latchkey::pg
