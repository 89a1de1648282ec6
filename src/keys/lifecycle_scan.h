// LifecycleScan: the periodic pass over long-lived credentials (issue 14
// items 3 and 7, docs/secret-age.md, docs/service-accounts.md). Each run:
//   - disables every enabled service account at or past its expires_at
//     (Store::disable_expired_service_account: its tokens are deleted as
//     kUserDisabled in the same write), audits it as done by the system and
//     records service_account.expired and user.disabled: with webhooks
//     (EventSink::writes_outbox) enqueued in the disable's own transaction,
//     so that both commit together; with another sink published after it;
//   - publishes secret.rotation_due for every Client Secret and active API
//     key at or past secret_max_age_days, and key.expiring_soon for every
//     active key expiring within key_expiring_soon_days.
// Each event carries a dedup_key naming the credential and its creation
// (or expiry) time; this object also remembers what it published, so each
// is published once per process and the outbox drops repeats across restarts.
// Time comes from the injected clock; the server runs it with its hourly
// maintenance and, with --insecure-test-clock, after each clock advance.
//
// Thread-safety: run() may be called from any thread; runs are serialized.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/clock.h"
#include "core/error.h"
#include "core/secret_age.h"
#include "store/store.h"

namespace latchkey {
class AuditLog;
namespace events {
class EventSink;
struct Event;
}  // namespace events
}  // namespace latchkey

namespace latchkey::keys {

struct LifecycleScanOutcome {
  int accounts_disabled = 0;
  int events_published = 0;
};

class LifecycleScan {
 public:
  // `events` and `audit` may be null (not recorded). `on_user_changed` runs
  // after an account is disabled (the caches' invalidation, as UserService
  // does); `warn` receives failures that do not stop the run (no secrets).
  LifecycleScan(Store& store, const Clock& clock, SecretAgePolicy policy, events::EventSink* events,
                AuditLog* audit, std::function<void(std::string_view)> on_user_changed,
                std::function<void(std::string_view)> warn);

  // One pass. Fails only when the store cannot be read; a failed disable
  // (with its events, in one transaction) or a failed publish of a due or
  // expiring credential is warned about and retried on the next run.
  Result<LifecycleScanOutcome> run();

 private:
  Status disable_expired_accounts(Instant now, LifecycleScanOutcome& outcome);
  Status announce_due_credentials(Instant now, LifecycleScanOutcome& outcome);
  // Publishes unless published before (by dedup_key); true when published.
  bool publish_once(const events::Event& event);

  Store& store_;
  const Clock& clock_;
  const SecretAgePolicy policy_;
  events::EventSink* events_;
  AuditLog* audit_;
  std::function<void(std::string_view)> on_user_changed_;
  std::function<void(std::string_view)> warn_;

  std::mutex mu_;                              // serializes run()
  std::unordered_set<std::string> published_;  // GUARDED_BY(mu_): dedup keys
};

}  // namespace latchkey::keys
