// ReadPool: a fixed set of read-only connections to the SQLite database,
// lent out one reader at a time. Under WAL, readers run concurrently with
// each other and with the writer. Every read transaction begins after its
// connection is borrowed, so it sees every write that was committed (that
// is, acknowledged to its caller) before the read started.
//
// Thread-safety: borrow() may be called from any thread; it blocks while all
// connections are lent. A Lease is used by the thread holding it and must
// not outlive the pool.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

class ReadPool {
 public:
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& connection() { return *connection_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Opens `size` read-only connections to `path`, which must exist.
  static Result<std::unique_ptr<ReadPool>> open(const std::string& path, int size,
                                                int busy_timeout_ms);

  Lease borrow();

 private:
  ReadPool() = default;
  void give_back(std::unique_ptr<Connection> connection);

  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace latchkey::sqlite
