// Database: one SQLite database in WAL mode at <data_dir>/latchkey.db, shared
// by every area store of the SQLite backend (users and tokens, permissions,
// audit, API keys).
//
// Writes go through one WriteBatcher (a single writer thread with group
// commit, synchronous=FULL: a write returns only once it is on disk); reads
// borrow a connection from a ReadPool and run concurrently with the writer.
// An operation that keeps an invariant runs as one write job, so it is one
// transaction.
//
// Thread-safety: write() and read() may be called from any thread.
// Destruction waits for queued writes to finish; no call may be in progress
// on another thread when it starts.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/directory_lock.h"
#include "store/sqlite/read_pool.h"
#include "store/sqlite/write_batcher.h"
#include "store/store.h"

namespace latchkey::sqlite {

class Database {
 public:
  // Creates data_dir (mode 0700) and the database as needed, takes the
  // directory lock, applies missing migrations and starts the writer.
  // kUnavailable when the database cannot be opened or was written by a newer
  // latchkey; kInvalidRequest for bad options.
  static Result<std::unique_ptr<Database>> open(const StoreOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `job` (Connection& -> Result<T> or Status) as one write job: its own
  // savepoint inside a group-committed transaction, durable on return.
  template <class Job>
  auto write(Job&& job);

  // Runs `query` (Connection& -> Result<T>) in one read transaction on a
  // borrowed read connection. The snapshot holds every write acknowledged
  // before the call.
  template <class Query>
  auto read(Query&& query);

  // Group-commit counters, for benchmarks and metrics.
  WriteStats write_stats() const { return writer_->stats(); }

 private:
  Database(DirectoryLock lock, std::unique_ptr<ReadPool> readers,
           std::unique_ptr<WriteBatcher> writer);

  DirectoryLock lock_;  // declared first: released after the connections close
  std::unique_ptr<ReadPool> readers_;
  std::unique_ptr<WriteBatcher> writer_;
};

// Store latency for /metrics (latchkey_store_seconds{op}); in database.cc.
void observe_store_latency(std::string_view op, std::chrono::steady_clock::duration took);

template <class Job>
auto Database::write(Job&& job) {
  struct Observe {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~Observe() { observe_store_latency("write", std::chrono::steady_clock::now() - started); }
  } observe;
  using R = std::invoke_result_t<Job&, Connection&>;
  using T = typename R::value_type;
  if constexpr (std::is_void_v<T>) {
    return writer_->run([&](Connection& connection) -> Status { return job(connection); });
  } else {
    std::optional<T> out;
    Status done = writer_->run([&](Connection& connection) -> Status {
      R result = job(connection);
      if (!result) return fail(std::move(result.error()));
      out.emplace(std::move(*result));
      return {};
    });
    if (!done) return R(std::unexpected(std::move(done.error())));
    return R(std::move(*out));
  }
}

template <class Query>
auto Database::read(Query&& query) {
  struct Observe {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~Observe() { observe_store_latency("read", std::chrono::steady_clock::now() - started); }
  } observe;
  using R = std::invoke_result_t<Query&, Connection&>;
  auto lease = readers_->borrow();
  Connection& connection = lease.connection();
  if (auto begun = connection.execute("BEGIN"); !begun) {
    return R(std::unexpected(std::move(begun.error())));
  }
  R result = query(connection);
  if (!connection.execute("COMMIT")) (void)connection.execute("ROLLBACK");
  return result;
}

}  // namespace latchkey::sqlite
