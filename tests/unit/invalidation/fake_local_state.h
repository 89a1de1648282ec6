// A LocalState that records every call, for the apply mapping and the
// receiver's fail-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "invalidation/local_state.h"

namespace latchkey::invalidation {

class FakeLocalState : public LocalState {
 public:
  void forget_user(std::string_view id) override { record("forget_user " + std::string(id)); }
  void forget_account_tokens_of_user(std::string_view id) override {
    record("forget_account_tokens_of_user " + std::string(id));
  }
  void forget_account_token(const Digest& d) override {
    record("forget_account_token " +
           hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())));
  }
  void forget_key(std::string_view id) override { record("forget_key " + std::string(id)); }
  void refuse_login_session(std::string_view key, std::string_view session,
                            Instant until) override {
    record("refuse_login_session " + std::string(key) + " " + std::string(session) + " " +
           std::to_string(to_unix_millis(until)));
  }
  void refuse_token_id(std::string_view jti, Instant until) override {
    record("refuse_token_id " + std::string(jti) + " " + std::to_string(to_unix_millis(until)));
  }
  void forget_policy() override { record("forget_policy"); }
  void drop_caches() override {
    ++drops;
    record("drop_caches");
  }
  Status reload_from_store() override {
    record("reload_from_store");
    if (fail_reloads.load() > 0) {
      --fail_reloads;
      return fail(Error::unavailable("the store is down"));
    }
    ++reloads;
    return {};
  }

  std::vector<std::string> take() {
    std::lock_guard lock(mu);
    return std::exchange(calls, {});
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mu);
    return calls;
  }

  std::atomic<int> drops{0};
  std::atomic<int> reloads{0};
  std::atomic<int> fail_reloads{0};

 private:
  void record(std::string call) {
    std::lock_guard lock(mu);
    calls.push_back(std::move(call));
  }
  std::mutex mu;
  std::vector<std::string> calls;
};

}  // namespace latchkey::invalidation
