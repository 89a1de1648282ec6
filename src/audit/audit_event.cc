#include "audit/audit_event.h"

namespace latchkey {

std::string_view to_string(AuditDecision decision) {
  return decision == AuditDecision::kAllow ? "allow" : "deny";
}

}  // namespace latchkey
