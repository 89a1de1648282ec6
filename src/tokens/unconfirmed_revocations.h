// UnconfirmedRevocations: token digests whose revocation the store could not
// confirm (the write failed, or its outcome was lost). The process refuses
// them until it stops (fail closed, docs/security/faults.md): the caller got
// a 503 and is expected to retry until the revocation is durable.
//
// Rare by construction (only store failures add), so a plain map; `count_`
// keeps the common empty case free of locking on the hot path.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "core/secret.h"
#include "core/time.h"

namespace latchkey {

class UnconfirmedRevocations {
 public:
  // Refuses `digest` until `expires_at` (the token's own expiry).
  void add(const Digest& digest, Instant expires_at, Instant now) {
    std::unique_lock lock(mu_);
    std::erase_if(refused_, [&](const auto& entry) { return now >= entry.second; });
    refused_[digest] = expires_at;
    count_.store(refused_.size(), std::memory_order_release);
  }

  bool contains(const Digest& digest) const {
    if (count_.load(std::memory_order_acquire) == 0) return false;
    std::shared_lock lock(mu_);
    return refused_.contains(digest);
  }

 private:
  mutable std::shared_mutex mu_;
  std::map<Digest, Instant> refused_;  // GUARDED_BY(mu_)
  std::atomic<std::size_t> count_{0};
};

}  // namespace latchkey
