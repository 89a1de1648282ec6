#include "keys/lifecycle_scan.h"

#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "events/event_sink.h"
#include "keys/key_report.h"
#include "keys/key_service.h"
#include "store/key_store.h"

namespace latchkey::keys {
namespace {

// The audit trail's name for changes latchkey makes by itself.
constexpr std::string_view kSystemPrincipal = "system";

std::string millis(Instant at) { return std::to_string(to_unix_millis(at)); }

events::Event make_event(events::EventType type, Instant now, std::string dedup_key,
                         std::vector<std::pair<std::string, std::string>> data) {
  events::Event event;
  event.type = type;
  event.occurred_at = now;
  event.data = std::move(data);
  event.dedup_key = std::move(dedup_key);
  return event;
}

// service_account.expired and user.disabled for an account the scan disabled.
std::vector<events::Event> expiry_events(const User& user, Instant now) {
  const std::string expired_at = format_rfc3339(user.expires_at.value_or(now));
  const std::string expiry_ms = millis(user.expires_at.value_or(now));
  std::vector<events::Event> out;
  out.push_back(make_event(events::EventType::kServiceAccountExpired, now,
                           "service_account.expired:" + user.id + ":" + expiry_ms,
                           {{"user_id", user.id},
                            {"user_name", user.name},
                            {"owner", user.owner},
                            {"contact", user.contact},
                            {"expires_at", expired_at}}));
  out.push_back(make_event(events::EventType::kUserDisabled, now,
                           "user.disabled:" + user.id + ":" + expiry_ms,
                           {{"user_id", user.id},
                            {"user_name", user.name},
                            {"reason", "account_expired"},
                            {"disabled_at", format_rfc3339(now)},
                            {"disabled_by", std::string(kSystemPrincipal)}}));
  return out;
}

}  // namespace

LifecycleScan::LifecycleScan(Store& store, const Clock& clock, SecretAgePolicy policy,
                             events::EventSink* events, AuditLog* audit,
                             std::function<void(std::string_view)> on_user_changed,
                             std::function<void(std::string_view)> warn)
    : store_(store),
      clock_(clock),
      policy_(policy),
      events_(events),
      audit_(audit),
      on_user_changed_(std::move(on_user_changed)),
      warn_(std::move(warn)) {}

Result<LifecycleScanOutcome> LifecycleScan::run() {
  std::lock_guard lock(mu_);
  const Instant now = clock_.now();
  LifecycleScanOutcome outcome;
  if (auto s = disable_expired_accounts(now, outcome); !s) return fail(s.error());
  if (auto s = announce_due_credentials(now, outcome); !s) return fail(s.error());
  return outcome;
}

Status LifecycleScan::disable_expired_accounts(Instant now, LifecycleScanOutcome& outcome) {
  auto expired = store_.list_expired_service_accounts(now);
  if (!expired) return fail(expired.error());
  // With webhooks, the events are enqueued in the disable's own
  // transaction: once an account is disabled the scan never lists it again,
  // so an event published after the commit would be lost for good to a
  // crash or an outbox failure in between.
  const bool in_transaction = events_ != nullptr && events_->writes_outbox();
  for (const User& candidate : *expired) {
    int enqueued = 0;
    Store::OutboxRowsFor rows_for;
    if (in_transaction) {
      rows_for = [&](const User& user) {
        std::vector<NewOutboxEvent> rows;
        for (const events::Event& event : expiry_events(user, now)) {
          if (auto row = events_->outbox_row(event)) rows.push_back(std::move(*row));
        }
        enqueued = static_cast<int>(rows.size());  // the last try's, if retried
        return rows;
      };
    }
    // Conditional in the store: an expiry an admin moved meanwhile wins.
    auto disabled = store_.disable_expired_service_account(candidate.id, now, rows_for);
    if (on_user_changed_) on_user_changed_(candidate.id);  // even after an error
    if (!disabled) {
      if (warn_) {
        warn_("disabling expired service account " + candidate.id +
              " failed: " + disabled.error().description);
      }
      continue;
    }
    if (!*disabled) continue;
    const User& user = **disabled;
    ++outcome.accounts_disabled;
    if (audit_ != nullptr) {
      AuditEvent event;
      event.at = now;
      event.principal_id = std::string(kSystemPrincipal);
      event.principal_name = "latchkey";
      event.action = "user.expire.disable";
      event.resource = "user/" + user.id;
      event.reason = "account_expired";
      audit_->record(std::move(event));
    }
    if (in_transaction) {
      // Committed with the disable (a stored dedup key was skipped there).
      outcome.events_published += enqueued;
      if (enqueued > 0) events_->outbox_changed();  // deliver now
      continue;
    }
    // A sink without the store's outbox (no webhooks: nothing is recorded;
    // tests): published after the commit, and a failed publish is only
    // warned about, since the account is not listed again.
    for (const events::Event& event : expiry_events(user, now)) {
      if (publish_once(event)) ++outcome.events_published;
    }
  }
  return {};
}

Status LifecycleScan::announce_due_credentials(Instant now, LifecycleScanOutcome& outcome) {
  if (events_ == nullptr) return {};
  auto users = store_.list_users();
  if (!users) return fail(users.error());
  for (const User& user : *users) {
    if (user.disabled) continue;  // its secret obtains nothing
    auto credential = store_.client_credential_of_user(user.id);
    if (!credential) return fail(credential.error());
    if (!*credential) continue;
    const ClientCredential& secret = **credential;
    if (!policy_.rotation_due(secret.created_at, now)) continue;
    if (publish_once(make_event(
            events::EventType::kSecretRotationDue, now,
            "secret.rotation_due:" + secret.client_id + ":" + millis(secret.created_at),
            {{"kind", "client_secret"},
             {"user_id", user.id},
             {"user_name", user.name},
             {"client_id", secret.client_id},
             {"created_at", format_rfc3339(secret.created_at)},
             {"due_since", format_rfc3339(*policy_.due_at(secret.created_at))},
             {"age_days", std::to_string(SecretAgePolicy::age_days(secret.created_at, now))}}))) {
      ++outcome.events_published;
    }
  }
  auto api_keys = store_.keys().list_keys();
  if (!api_keys) return fail(api_keys.error());
  const Duration window = std::chrono::hours(24 * policy_.expiring_soon_days);
  for (const ApiKey& key : *api_keys) {
    if (key_rotation_due(key, now, policy_) &&
        publish_once(make_event(
            events::EventType::kSecretRotationDue, now,
            "secret.rotation_due:" + key.id + ":" + millis(key.created_at),
            {{"kind", "api_key"},
             {"user_id", key.user_id},
             {"key_id", key.id},
             {"key_name", key.name},
             {"masked_key", key.masked},
             {"created_at", format_rfc3339(key.created_at)},
             {"due_since", format_rfc3339(*policy_.due_at(key.created_at))},
             {"age_days", std::to_string(SecretAgePolicy::age_days(key.created_at, now))}}))) {
      ++outcome.events_published;
    }
    if (policy_.expiring_soon_days > 0 && expires_soon(key, now, window) &&
        publish_once(make_event(events::EventType::kKeyExpiringSoon, now,
                                "key.expiring_soon:" + key.id + ":" + millis(key.expires_at),
                                {{"user_id", key.user_id},
                                 {"key_id", key.id},
                                 {"key_name", key.name},
                                 {"masked_key", key.masked},
                                 {"expires_at", format_rfc3339(key.expires_at)}}))) {
      ++outcome.events_published;
    }
  }
  return {};
}

bool LifecycleScan::publish_once(const events::Event& event) {
  if (events_ == nullptr || published_.contains(event.dedup_key)) return false;
  if (auto s = events_->publish(event); !s) {
    // Not remembered: the next run tries again if it finds the cause again
    // (a credential still due or expiring soon; not an account it has
    // already disabled).
    if (warn_) {
      warn_("publishing " + std::string(events::to_string(event.type)) +
            " failed: " + s.error().description);
    }
    return false;
  }
  published_.insert(event.dedup_key);
  return true;
}

}  // namespace latchkey::keys
