// Database: the pool plus the transaction runner every PostgreSQL area store
// uses. Invariants live in the database (row locks, constraints,
// serializable transactions), never in a node-local mutex: several
// latchkeyd processes share one database.
//
// write(f) runs f(Connection&) inside BEGIN ... COMMIT (READ COMMITTED;
// serializable(f) uses SERIALIZABLE). f returns Result<T> or Status; a
// failure rolls back. The whole transaction is run again, up to
// kMaxAttempts times, after a serialization failure or deadlock (40001,
// 40P01), and once after the connection broke before COMMIT (nothing was
// committed; the pool discards its idle connections, so the retry runs on a
// freshly opened one). So f may run more than once and must not
// have effects outside the transaction. A COMMIT whose outcome is unknown
// (the connection broke during it) answers kUnavailable, never success.
// read(f) runs f on a pooled connection without a transaction block.
//
// Errors: pg_errors.h; kUnavailable when the pool has no free connection
// within its timeout or the server is down.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_pool.h"

namespace latchkey::pg {

inline constexpr int kMaxAttempts = 10;

enum class Isolation { kReadCommitted, kSerializable };

class Database {
 public:
  // Connects (one connection, to fail early) and applies pending migrations
  // (pg_migrations.h).
  static Result<std::unique_ptr<Database>> open(const PoolOptions& options);
  explicit Database(const PoolOptions& options) : pool_(options) {}

  template <class F>
  auto write(F&& body) {
    return run_typed(std::forward<F>(body), Mode::kTransaction, Isolation::kReadCommitted);
  }
  template <class F>
  auto serializable(F&& body) {
    return run_typed(std::forward<F>(body), Mode::kTransaction, Isolation::kSerializable);
  }
  template <class F>
  auto read(F&& body) {
    return run_typed(std::forward<F>(body), Mode::kAutocommit, Isolation::kReadCommitted);
  }

  Pool& pool() { return pool_; }

 private:
  enum class Mode { kTransaction, kAutocommit };

  // Runs `body` (which records its own result) with the retry rules above.
  Status run(const std::function<Status(Connection&)>& body, Mode mode, Isolation isolation);

  template <class F>
  auto run_typed(F&& body, Mode mode, Isolation isolation) {
    using R = std::invoke_result_t<F&, Connection&>;
    if constexpr (std::is_same_v<R, Status>) {
      return run([&](Connection& c) { return body(c); }, mode, isolation);
    } else {
      std::optional<R> out;
      Status status = run(
          [&](Connection& c) -> Status {
            out.emplace(body(c));
            if (!*out) return fail(out->error());
            return {};
          },
          mode, isolation);
      if (!status) return R(std::unexpected(status.error()));
      return std::move(*out);
    }
  }

  Pool pool_;
};

}  // namespace latchkey::pg
