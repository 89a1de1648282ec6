#include "invalidation/receiver.h"

namespace latchkey::invalidation {

void apply(const Message& m, LocalState& state) {
  switch (m.kind) {
    case Kind::kUserChanged:
      state.forget_user(m.subject);
      return;
    case Kind::kAccountTokensOfUser:
      state.forget_account_tokens_of_user(m.subject);
      return;
    case Kind::kAccountToken:
      if (const auto digest = digest_of(m)) state.forget_account_token(*digest);
      return;
    case Kind::kApiKey:
      state.forget_key(m.subject);
      return;
    case Kind::kLoginSession:
      state.refuse_login_session(m.subject, m.session, m.until);
      return;
    case Kind::kRevokedJwt:
      state.refuse_token_id(m.subject, m.until);
      return;
    case Kind::kPolicy:
      state.forget_policy();
      return;
    case Kind::kSigningKeys:
    case Kind::kResync:
      return;  // Receiver::on_payload
  }
}

Receiver::Receiver(LocalState& state, CacheTrust& trust, std::string node_id,
                   std::function<void(bool, std::string_view)> log)
    : state_(state), trust_(trust), node_id_(std::move(node_id)), log_(std::move(log)) {
  trust_.withdraw();
}

void Receiver::log(bool warning, std::string_view line) const {
  if (log_) log_(warning, line);
}

void Receiver::on_payload(std::string_view payload) {
  auto batch = parse(payload);
  if (!batch) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    // Never echoed: the channel is shared and the payload is not ours.
    log(true, "invalidation: a notification could not be read (" + batch.error().description +
                  "); resynchronising from the store");
    request_resync("unreadable notification");
    return;
  }
  if (batch->origin == node_id_) {
    own_skipped_.fetch_add(batch->messages.size(), std::memory_order_relaxed);
    return;
  }
  bool resync = false;
  for (const Message& m : batch->messages) {
    apply(m, state_);
    resync = resync || m.kind == Kind::kResync || m.kind == Kind::kSigningKeys;
  }
  applied_.fetch_add(batch->messages.size(), std::memory_order_relaxed);
  if (resync) request_resync("reload requested by another node");
}

void Receiver::on_publisher_gone(std::string_view which) {
  request_resync("another node's notification connection (backend " + std::string(which) +
                 ") went away; what it changed last may not have been notified");
}

void Receiver::request_resync(std::string_view why) {
  on_lost(why);
  resync_pending_.store(true, std::memory_order_release);
}

void Receiver::on_lost(std::string_view why) {
  // Trust first, then the drop: a reader that checked the trust before
  // finds its insert refused by the drop's epoch bump.
  trust_.withdraw();
  state_.drop_caches();
  if (!logged_degraded_) {
    logged_degraded_ = true;
    degraded_entered_.fetch_add(1, std::memory_order_relaxed);
    log(true, "invalidation: degraded (" + std::string(why) +
                  "): caches dropped, every verification reads the store until resubscribed");
  }
}

Status Receiver::on_subscribed() {
  // Not trusted while reading: a change notified during the reload waits
  // behind it on this thread, and lookups read the store meanwhile.
  trust_.withdraw();
  if (auto s = state_.reload_from_store(); !s) {
    on_lost("reload from the store failed");
    return s;
  }
  resync_pending_.store(false, std::memory_order_release);
  state_.drop_caches();
  trust_.restore();
  resyncs_.fetch_add(1, std::memory_order_relaxed);
  if (logged_degraded_) {
    logged_degraded_ = false;
    log(false, "invalidation: subscribed again and reloaded from the store; caches in use");
  }
  return {};
}

ReceiverStats Receiver::stats() const {
  return ReceiverStats{applied_.load(), own_skipped_.load(), refused_.load(),
                       degraded_entered_.load(), resyncs_.load()};
}

}  // namespace latchkey::invalidation
