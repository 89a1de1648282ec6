#include "events/event.h"

#include <array>

namespace latchkey::events {
namespace {

struct Named {
  EventType type;
  std::string_view name;
};

constexpr std::array kNames{
    Named{EventType::kKeyCreated, "key.created"},
    Named{EventType::kKeyDeactivated, "key.deactivated"},
    Named{EventType::kKeyRerolled, "key.rerolled"},
    Named{EventType::kKeyExpiringSoon, "key.expiring_soon"},
    Named{EventType::kSecretRotated, "secret.rotated"},
    Named{EventType::kSecretRotationDue, "secret.rotation_due"},
    Named{EventType::kTokenInterference, "token.interference"},
    Named{EventType::kUserDisabled, "user.disabled"},
    Named{EventType::kServiceAccountExpired, "service_account.expired"},
    Named{EventType::kWebhookTest, "webhook.test"},
};

}  // namespace

std::string_view to_string(EventType type) {
  for (const auto& named : kNames)
    if (named.type == type) return named.name;
  return "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (const auto& named : kNames)
    if (named.name == name) return named.type;
  return std::nullopt;
}

const std::vector<EventType>& all_event_types() {
  static const std::vector<EventType> types = [] {
    std::vector<EventType> all;
    for (const auto& named : kNames) all.push_back(named.type);
    return all;
  }();
  return types;
}

}  // namespace latchkey::events
