#include "store/postgres/pg_database.h"

#include <chrono>
#include <random>
#include <thread>

#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {
namespace {

// A short randomized pause before running a conflicting transaction again,
// so that the contenders do not collide in lock step.
void back_off(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling_us = 200 << std::min(attempt, 6);
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(50, ceiling_us)(random)));
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const PoolOptions& options) {
  auto db = std::make_unique<Database>(options);
  if (auto migrated = migrate(*db); !migrated) return fail(migrated.error());
  return db;
}

Status Database::run(const std::function<Status(Connection&)>& body, Mode mode,
                     Isolation isolation) {
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.error());
    Connection& connection = **lease;
    const bool transaction = mode == Mode::kTransaction;
    Status status;
    if (transaction) {
      status = connection.execute_script(
          isolation == Isolation::kSerializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
    }
    if (status) status = body(connection);
    bool committing = false;
    if (status && transaction) {
      committing = true;
      status = connection.execute_script("COMMIT");
    }
    if (status) return status;

    const std::string sqlstate = connection.sqlstate();
    const bool broken = !connection.healthy();
    // The server restarted or the network broke: the pool's other idle
    // connections are most likely dead too. Without this, the retry below
    // could take another dead one, and so could each of the next requests.
    if (broken) pool_.discard_idle();
    if (transaction && !broken && connection.in_transaction()) {
      (void)connection.execute_script("ROLLBACK");
    }
    if (committing && broken) {
      // The server may or may not have committed: never claim success.
      return fail(Error::unavailable(
          "store unavailable: the connection to PostgreSQL broke during COMMIT; the outcome of "
          "the write is unknown"));
    }
    if (is_retryable(sqlstate) && attempt < kMaxAttempts) {
      back_off(attempt);
      continue;
    }
    if (broken && !reconnected) {
      reconnected = true;  // nothing was committed: run it once more on a fresh connection
      continue;
    }
    return status;
  }
}

}  // namespace latchkey::pg
