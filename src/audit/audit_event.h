// AuditEvent: one entry of the audit trail (seed 001: "audit logs attribute
// each API call to a single integration"). Plain value; never holds a full
// secret, only masked credentials (DESIGN invariant 6).
//
// One stored entry may stand for several identical calls: the buffered log
// (audit/buffered_audit_log.h) coalesces calls whose every field but `at` is
// equal and that fall within one flush interval into one entry with `count`
// set to how many there were and `at` to the first of them.
//
// Header-only so that the store (store/audit_store.h) can hold events
// without linking the audit library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace latchkey {

enum class AuditDecision { kAllow, kDeny };

inline std::string_view to_string(AuditDecision decision) {
  return decision == AuditDecision::kAllow ? "allow" : "deny";
}

// "allow" | "deny"; nullopt otherwise.
inline std::optional<AuditDecision> parse_audit_decision(std::string_view text) {
  if (text == "allow") return AuditDecision::kAllow;
  if (text == "deny") return AuditDecision::kDeny;
  return std::nullopt;
}

struct AuditEvent {
  std::int64_t id = 0;  // assigned by the store on append (increasing); 0 before
  Instant at;
  std::string principal_id;  // user id; empty when the caller is unknown
  std::string principal_name;
  std::string credential;  // masked, e.g. "client cli_…", "key ••••a1B9"
  std::string action;      // e.g. "account.token.issue", "authorize.create_record"
  std::string resource;    // e.g. "user/usr_…", "application/app_…"
  AuditDecision decision = AuditDecision::kAllow;
  std::string reason;  // machine-readable, on deny
  std::string client_ip;
  std::string user_agent;
  std::string integration;  // the optional X-Integration request header
  // How many identical calls this entry stands for (>= 1), `at` being the
  // first; the others were made less than a flush interval after it.
  std::uint64_t count = 1;
};

}  // namespace latchkey
