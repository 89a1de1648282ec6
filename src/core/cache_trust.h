// CacheTrust: whether this node's caches and in-memory revocation state may
// answer a verification. Several latchkeyd sharing one store learn each
// other's changes over the invalidation bus (invalidation/); while this node
// may have missed a message (its notification connection is down, or has
// not been established yet) the trust is withdrawn and every verification
// reads the store instead, so that no stale "valid" is served
// (docs/operations.md, "Cross-node invalidation").
//
// Services hold a `const CacheTrust*` (null: always trusted, one node).
// Withdrawing the trust is followed by dropping the caches; giving it back
// follows a reload of the in-memory state and a second drop, so that a
// value read from the store before the reload is never cached after it.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>

namespace latchkey {

class CacheTrust {
 public:
  explicit CacheTrust(bool trusted = true) : trusted_(trusted) {}

  bool trusted() const noexcept { return trusted_.load(std::memory_order_acquire); }
  void withdraw() noexcept { trusted_.store(false, std::memory_order_seq_cst); }
  void restore() noexcept { trusted_.store(true, std::memory_order_seq_cst); }

 private:
  std::atomic<bool> trusted_;
};

// True when `trust` is null (a single node) or trusted.
inline bool caches_trusted(const CacheTrust* trust) noexcept {
  return trust == nullptr || trust->trusted();
}

}  // namespace latchkey
