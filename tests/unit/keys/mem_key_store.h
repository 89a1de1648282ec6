// An in-memory KeyStore for KeyService tests: counts calls so that tests can
// assert how many writes happened; can be told to fail. Thread-safe.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "store/key_store.h"

namespace latchkey::testing {

class MemKeyStore final : public KeyStore {
 public:
  Status insert_key(const ApiKey& key) override {
    std::lock_guard lock(mu_);
    ++writes;
    for (const auto& [id, k] : keys_) {
      if (id == key.id || k.digest == key.digest) return fail(Error::conflict("taken"));
    }
    keys_[key.id] = key;
    order_.push_back(key.id);
    return {};
  }
  Result<std::optional<ApiKey>> find_key(std::string_view id) override {
    std::optional<ApiKey> found;
    {
      std::lock_guard lock(mu_);
      ++reads;
      if (fail_reads) return fail(Error::unavailable("pool timeout"));
      auto it = keys_.find(std::string(id));
      if (it != keys_.end()) found = it->second;
    }
    // Once: what happens between this read and its use by the caller.
    if (auto hook = std::exchange(after_next_find, {})) hook();
    return found;
  }
  Result<std::optional<ApiKey>> find_key_by_digest(const Digest& digest) override {
    std::lock_guard lock(mu_);
    ++reads;
    if (fail_reads) return fail(Error::unavailable("pool timeout"));
    for (const auto& [id, k] : keys_) {
      if (k.digest == digest) return std::optional<ApiKey>(k);
    }
    return std::optional<ApiKey>();
  }
  Result<std::vector<ApiKey>> list_keys_of_user(std::string_view user_id) override {
    std::lock_guard lock(mu_);
    std::vector<ApiKey> out;
    for (const auto& id : order_) {
      if (keys_[id].user_id == user_id) out.push_back(keys_[id]);
    }
    return out;
  }
  Result<std::vector<ApiKey>> list_keys() override {
    std::lock_guard lock(mu_);
    std::vector<ApiKey> out;
    for (const auto& id : order_) out.push_back(keys_[id]);
    return out;
  }
  Result<std::optional<ApiKey>> deactivate_key(std::string_view id, Instant at,
                                               std::string_view by) override {
    std::lock_guard lock(mu_);
    ++writes;
    if (fail_deactivate) return fail(Error::unavailable("disk full"));
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return std::optional<ApiKey>();
    if (!it->second.deactivated_at) {
      it->second.deactivated_at = at;
      it->second.deactivated_by = std::string(by);
      it->second.status = KeyStatus::kInactive;
    }
    return std::optional<ApiKey>(it->second);
  }
  Result<int> record_key_usage(const std::vector<KeyUsage>& usages) override {
    std::lock_guard lock(mu_);
    ++writes;
    ++usage_batches;
    if (fail_usage) return fail(Error::unavailable("disk full"));
    int changed = 0;
    for (const KeyUsage& u : usages) {
      auto it = keys_.find(u.key_id);
      if (it == keys_.end()) continue;
      if (!it->second.last_used_at || *it->second.last_used_at < u.used_at) {
        it->second.last_used_at = u.used_at;
        ++changed;
      }
    }
    return changed;
  }

  Result<std::optional<ApiKey>> set_key_limits(std::string_view id,
                                               const KeyLimitOverride& limits) override {
    std::lock_guard lock(mu_);
    ++writes;
    if (fail_limits) return fail(Error::unavailable("commit outcome unknown"));
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return std::optional<ApiKey>();
    it->second.limits = limits;
    return std::optional<ApiKey>(it->second);
  }
  Result<std::optional<ApiKey>> set_key_allowed_origins(
      std::string_view id, const std::vector<std::string>& cidrs) override {
    std::lock_guard lock(mu_);
    ++writes;
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return std::optional<ApiKey>();
    it->second.allowed_origins = cidrs;
    return std::optional<ApiKey>(it->second);
  }

  Result<KeyReroll> reroll_key(std::string_view old_id, const ApiKey& new_key, Instant lapses_at,
                               Instant at) override {
    std::lock_guard lock(mu_);
    ++writes;
    auto it = keys_.find(std::string(old_id));
    if (it == keys_.end()) return fail(Error::not_found("no such key"));
    if (it->second.deactivated_at) return fail(Error::conflict("inactive").with_reason("inactive"));
    if (!it->second.replaced_by.empty()) {
      return fail(Error::conflict("rerolled").with_reason("already_rerolled"));
    }
    if (at >= it->second.expires_at) return fail(Error::conflict("expired").with_reason("expired"));
    for (const auto& [id, k] : keys_) {
      if (id == new_key.id || k.digest == new_key.digest) return fail(Error::conflict("taken"));
    }
    ApiKey added = new_key;
    added.rerolled_from = std::string(old_id);
    added.allowed_origins = it->second.allowed_origins;
    keys_[added.id] = added;
    order_.push_back(added.id);
    it->second.replaced_by = added.id;
    it->second.lapses_at = lapses_at;
    std::optional<ApiKey> predecessor;
    if (auto before = keys_.find(it->second.rerolled_from);
        before != keys_.end() && before->second.replaced_by == it->first &&
        before->second.lapses_at && *before->second.lapses_at > at) {
      before->second.lapses_at = at;
      predecessor = before->second;
    }
    return KeyReroll{it->second, added, predecessor};
  }

  int writes = 0;
  int reads = 0;
  int usage_batches = 0;
  bool fail_usage = false;
  bool fail_deactivate = false;
  bool fail_reads = false;  // find_key, find_key_by_digest
  bool fail_limits = false;
  std::function<void()> after_next_find;

 private:
  std::mutex mu_;
  std::map<std::string, ApiKey> keys_;
  std::vector<std::string> order_;
};

}  // namespace latchkey::testing
