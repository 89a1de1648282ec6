#include "tokens/account_token_cache.h"

#include <algorithm>
#include <mutex>

#include "metrics/metrics.h"

namespace latchkey {

namespace {

metrics::Counter& lookups(std::string_view outcome) {
  return metrics::default_registry()
      .counter_family("latchkey_account_token_cache_lookups_total",
                      "Account-token cache lookups by outcome (hit, miss).", {"outcome"})
      .with({outcome});
}

}  // namespace

std::shared_ptr<const Principal> AccountTokenCache::find(const Digest& digest) const {
  static metrics::Counter& hits = lookups("hit");
  static metrics::Counter& misses = lookups("miss");
  if (!caches_trusted(trust_)) {
    misses.inc();
    return nullptr;
  }
  std::shared_lock lock(mu_);
  const auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) {
    misses.inc();
    return nullptr;
  }
  hits.inc();
  return it->second;
}

void AccountTokenCache::insert_if_current(std::uint64_t epoch, const Digest& digest,
                                          std::shared_ptr<const Principal> principal) {
  std::unique_lock lock(mu_);
  // Checked under the lock: evictions bump the epoch under the same lock.
  if (epoch_.load(std::memory_order_relaxed) != epoch) return;
  if (!caches_trusted(trust_)) return;            // degraded: read the store every time
  if (by_digest_.size() >= max_entries_) return;  // full: serve from the store instead
  auto& digests = by_user_[principal->user_id];
  if (std::find(digests.begin(), digests.end(), digest) == digests.end()) digests.push_back(digest);
  by_digest_[digest] = std::move(principal);
}

void AccountTokenCache::evict(const Digest& digest) {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  const auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return;
  const auto user = by_user_.find(it->second->user_id);
  if (user != by_user_.end()) {
    std::erase(user->second, digest);
    if (user->second.empty()) by_user_.erase(user);
  }
  by_digest_.erase(it);
}

void AccountTokenCache::evict_user(std::string_view user_id) {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  const auto user = by_user_.find(std::string(user_id));
  if (user == by_user_.end()) return;
  for (const Digest& d : user->second) by_digest_.erase(d);
  by_user_.erase(user);
}

void AccountTokenCache::clear() {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  by_digest_.clear();
  by_user_.clear();
}

std::size_t AccountTokenCache::size() const {
  std::shared_lock lock(mu_);
  return by_digest_.size();
}

}  // namespace latchkey
