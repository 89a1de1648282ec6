#include "store/postgres/pg_migrations.h"

#include <algorithm>
#include <set>
#include <string>

#include "store/postgres/pg_database.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {

std::vector<Migration> all_migrations() {
  std::vector<Migration> all;
  for (auto area : {core_migrations(), keys_migrations(), policy_migrations()}) {
    all.insert(all.end(), area.begin(), area.end());
  }
  std::sort(all.begin(), all.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return all;
}

Result<int> migrate(Database& db) {
  const std::vector<Migration> migrations = all_migrations();
  return db.write([&](Connection& connection) -> Result<int> {
    // Migrations may wait for another node's and run long: the session's
    // statement and lock timeouts (pg_connection.cc) do not apply here.
    if (auto s = connection.execute_script("SET LOCAL statement_timeout = 0;"
                                           " SET LOCAL lock_timeout = 0");
        !s) {
      return fail(s.error());
    }
    // Taken before anything else, so that the CREATE below and the checks
    // are serialized between nodes too; released at COMMIT or ROLLBACK.
    if (auto locked =
            connection.exec("SELECT pg_advisory_xact_lock($1::bigint)", {integer(kMigrationLock)});
        !locked) {
      return fail(locked.error());
    }
    if (auto s =
            connection.execute_script("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                      " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                                      " applied_at BIGINT NOT NULL)");
        !s) {
      return fail(s.error());
    }
    auto rows = connection.exec("SELECT version FROM schema_migrations");
    if (!rows) return fail(rows.error());
    std::set<int> applied;
    for (int i = 0; i < rows->size(); ++i) applied.insert(static_cast<int>(int_at(*rows, i, 0)));
    std::set<int> known;
    for (const Migration& m : migrations) known.insert(m.version);
    for (int version : applied) {
      if (!known.contains(version)) {
        return fail(Error::unavailable(
            "store: the PostgreSQL database has schema version " + std::to_string(version) +
            ", which this latchkey does not know; it was written by a newer latchkey, so run that "
            "version (or restore a backup)"));
      }
    }
    int count = 0;
    for (const Migration& migration : migrations) {
      if (applied.contains(migration.version)) continue;
      if (auto s = connection.execute_script(migration.sql); !s) {
        Error error = s.error();
        error.description = "store: migration " + std::to_string(migration.version) + " (" +
                            std::string(migration.description) + ") failed: " + error.description;
        if (error.code != ErrorCode::kUnavailable) error.code = ErrorCode::kInternal;
        return fail(std::move(error));
      }
      auto recorded = connection.exec(
          "INSERT INTO schema_migrations (version, description, applied_at)"
          " VALUES ($1::integer, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
          {integer(migration.version), text(migration.description)});
      if (!recorded) return fail(recorded.error());
      ++count;
    }
    return count;
  });
}

}  // namespace latchkey::pg
