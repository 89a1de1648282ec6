#include "store/postgres/pg_pool.h"

#include <utility>

namespace latchkey::pg {

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size < 1) options_.size = 1;
}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (pool_ && connection_) pool_->release(std::move(connection_), generation_);
}

Result<Pool::Lease> Pool::acquire() {
  std::unique_ptr<Connection> connection;
  std::uint64_t generation = 0;
  {
    std::unique_lock lock(mutex_);
    const bool got = freed_.wait_for(lock, options_.acquire_timeout,
                                     [&] { return !idle_.empty() || open_ < options_.size; });
    if (!got) {
      return fail(Error::unavailable("store busy: no PostgreSQL connection free within " +
                                     std::to_string(options_.acquire_timeout.count()) + " ms"));
    }
    generation = generation_;
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  auto give_up = [&](Error error) -> Result<Lease> {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
    return fail(std::move(error));
  };
  if (!connection) {
    auto opened = Connection::open(options_.conninfo);
    if (!opened) return give_up(opened.error());
    connection = std::move(*opened);
  } else if (!connection->healthy()) {
    // The server restarted or the network broke since the last use.
    if (auto reset = connection->reset(); !reset) return give_up(reset.error());
  }
  return Lease(this, std::move(connection), generation);
}

void Pool::discard_idle() {
  std::vector<std::unique_ptr<Connection>> discarded;
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    open_ -= static_cast<int>(idle_.size());
    discarded.swap(idle_);
    freed_.notify_all();
  }
  // Closed outside the lock (PQfinish may write a Terminate message).
}

void Pool::release(std::unique_ptr<Connection> connection, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation == generation_ && connection->healthy() && !connection->in_transaction()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // dropped: a fresh one is opened when needed
  }
  freed_.notify_one();
}

}  // namespace latchkey::pg
