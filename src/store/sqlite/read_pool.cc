#include "store/sqlite/read_pool.h"

#include <utility>

namespace latchkey::sqlite {

ReadPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

Result<std::unique_ptr<ReadPool>> ReadPool::open(const std::string& path, int size,
                                                 int busy_timeout_ms) {
  std::unique_ptr<ReadPool> pool(new ReadPool());
  for (int i = 0; i < size; ++i) {
    auto connection = Connection::open(path, Connection::Access::kReadOnly, busy_timeout_ms);
    if (!connection) return fail(connection.error());
    pool->idle_.push_back(std::move(*connection));
  }
  return pool;
}

ReadPool::Lease ReadPool::borrow() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [this] { return !idle_.empty(); });
  std::unique_ptr<Connection> connection = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(connection));
}

void ReadPool::give_back(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

}  // namespace latchkey::sqlite
