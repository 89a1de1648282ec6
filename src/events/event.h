// Events latchkey tells the outside world about (issue 14: webhooks). An
// event is a plain value: what happened, when, and flat string fields that
// name what it is about (ids, names, times). Never a secret, never a token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"

namespace latchkey::events {

enum class EventType {
  kKeyCreated,             // "key.created"
  kKeyDeactivated,         // "key.deactivated"
  kKeyRerolled,            // "key.rerolled"
  kKeyExpiringSoon,        // "key.expiring_soon"
  kSecretRotated,          // "secret.rotated"
  kSecretRotationDue,      // "secret.rotation_due"
  kTokenInterference,      // "token.interference"
  kUserDisabled,           // "user.disabled"
  kServiceAccountExpired,  // "service_account.expired"
  // Sent on request (POST /api/v1/events/test) to check a receiver; not
  // filtered by webhooks.events.
  kWebhookTest  // "webhook.test"
};

// The wire name ("key.created"); parse is its inverse.
std::string_view to_string(EventType type);
std::optional<EventType> parse_event_type(std::string_view name);
// Every type, in declaration order (docs, subscriptions, tests).
const std::vector<EventType>& all_event_types();

struct Event {
  EventType type = EventType::kKeyCreated;
  Instant occurred_at;
  // The payload's "data" object, in order: ids, names, RFC 3339 times.
  std::vector<std::pair<std::string, std::string>> data;
  // Optional: an event whose dedup_key was already enqueued is dropped, so a
  // periodic scan may publish "secret X is due" every pass and it is sent
  // once (e.g. "secret.rotation_due:cli_…:<created_at millis>").
  std::string dedup_key;
};

}  // namespace latchkey::events
