// A bounded pool of PostgreSQL connections, opened lazily.
//
// acquire() hands out one connection for the caller's exclusive use and
// blocks while all `size` are in use; after `acquire_timeout` it gives up
// with kUnavailable (the API answers 503, never waits forever). A pooled
// connection found broken (the server restarted) is re-established
// transparently on acquire; one broken or left inside a transaction is
// dropped on release.
//
// Thread-safety: every method may be called from any thread. A Lease is
// used by one thread and must not outlive its Pool.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

struct PoolOptions {
  std::string conninfo;  // libpq URL or key=value string
  int size = 16;
  Duration acquire_timeout = std::chrono::seconds(5);
};

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  Result<Lease> acquire();
  const PoolOptions& options() const { return options_; }

 private:
  void release(std::unique_ptr<Connection> connection);

  PoolOptions options_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle plus leased (plus being opened)
};

}  // namespace latchkey::pg
