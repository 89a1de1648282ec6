// A bounded pool of PostgreSQL connections, opened lazily.
//
// acquire() hands out one connection for the caller's exclusive use and
// blocks while all `size` are in use; after `acquire_timeout` it gives up
// with kUnavailable (the API answers 503, never waits forever). A pooled
// connection found broken (the server restarted) is re-established
// transparently on acquire; one broken or left inside a transaction is
// dropped on release. A connection that looks fine may still be dead (a
// server restart is only noticed on use): discard_idle(), called when one is
// found broken, drops every idle connection and every one leased before it
// (a pool generation), so that the next operations open fresh connections
// instead of each finding another dead one.
//
// Thread-safety: every method may be called from any thread. A Lease is
// used by one thread and must not outlive its Pool.
#pragma once

#include <condition_variable>
#include <cstdint>
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
    Lease(Pool* pool, std::unique_ptr<Connection> connection, std::uint64_t generation)
        : pool_(pool), connection_(std::move(connection)), generation_(generation) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
    std::uint64_t generation_;
  };

  Result<Lease> acquire();
  // Closes every idle connection and marks every leased one to be closed on
  // release: after one was found broken, the others are likely dead too.
  void discard_idle();
  const PoolOptions& options() const { return options_; }

 private:
  void release(std::unique_ptr<Connection> connection, std::uint64_t generation);

  PoolOptions options_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;                  // idle plus leased (plus being opened)
  std::uint64_t generation_ = 0;  // bumped by discard_idle()
};

}  // namespace latchkey::pg
