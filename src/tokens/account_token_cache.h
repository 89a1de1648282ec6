// AccountTokenCache: verified account tokens in memory, keyed by token
// digest, so that the hot path (a request with a bearer token) does not touch
// the store (DESIGN.md "Performance design").
//
// Correctness against concurrent writers uses an epoch: a reader takes
// epoch() before reading the store and inserts with insert_if_current(); any
// eviction bumps the epoch, so a value read before an eviction can never be
// cached after it. Writers evict *after* their store commit returns and
// before they answer, so once a revoke/disable/issue has answered, no cached
// copy of the old state is served.
//
// Several nodes (invalidation/): while the node's CacheTrust is withdrawn,
// find() answers nothing and nothing is inserted; clear() drops everything.
//
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "accounts/principal.h"
#include "core/cache_trust.h"
#include "core/secret.h"

namespace latchkey {

class AccountTokenCache {
 public:
  explicit AccountTokenCache(std::size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

  // Wiring, before serving (null: always trusted).
  void set_trust(const CacheTrust* trust) { trust_ = trust; }

  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // The cached principal of a token, or null.
  std::shared_ptr<const Principal> find(const Digest& digest) const;

  // Caches `principal` unless an eviction happened since `epoch` was read.
  void insert_if_current(std::uint64_t epoch, const Digest& digest,
                         std::shared_ptr<const Principal> principal);

  void evict(const Digest& digest);
  // Every token of the user (issued, disabled, flags changed, revoked).
  void evict_user(std::string_view user_id);
  // Every entry (the node may have missed an eviction).
  void clear();

  std::size_t size() const;

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // SHA-256 output is uniform already
      return h;
    }
  };

  const std::size_t max_entries_;
  const CacheTrust* trust_ = nullptr;
  std::atomic<std::uint64_t> epoch_{0};
  mutable std::shared_mutex mu_;
  std::unordered_map<Digest, std::shared_ptr<const Principal>, DigestHash>
      by_digest_;                                                 // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::vector<Digest>> by_user_;  // GUARDED_BY(mu_)
};

}  // namespace latchkey
