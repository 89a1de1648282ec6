#include "store/event_outbox_store.h"

namespace latchkey {

std::string_view to_string(OutboxStatus status) {
  switch (status) {
    case OutboxStatus::kPending:
      return "pending";
    case OutboxStatus::kDelivered:
      return "delivered";
    case OutboxStatus::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<OutboxStatus> parse_outbox_status(std::string_view text) {
  if (text == "pending") return OutboxStatus::kPending;
  if (text == "delivered") return OutboxStatus::kDelivered;
  if (text == "dead") return OutboxStatus::kDead;
  return std::nullopt;
}

}  // namespace latchkey
