// AuditStore: the audit trail. Every authenticated call is appended (in
// batches, by audit/buffered_audit_log.h), then queried by principal, time
// range and decision, exported, and summarised for the reports (who depends
// on an account, which permissions are used).
//
// One stored event (a row) may stand for several identical calls: its
// `count` (>= 1) says how many, its `at` is the first of them (see
// audit_event.h). Queries and pages are in rows; the summaries add counts,
// never count rows.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
// Events are never updated; prune() forgets the oldest.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/audit_event.h"
#include "core/error.h"
#include "store/records.h"

namespace latchkey {

// A position in the trail, newest first: (at, id) descending. A page's
// `next` cursor is the last event returned; the following page holds the
// events strictly after it in that order. Stable under concurrent appends
// (new events sort before the cursor unless backdated).
struct AuditCursor {
  Instant at;
  std::int64_t id = 0;
  friend bool operator==(const AuditCursor&, const AuditCursor&) = default;
};

inline constexpr int kMaxAuditPageSize = 100'000;

struct AuditQuery {
  std::string principal_id;     // empty: every principal
  std::optional<Instant> from;  // inclusive
  std::optional<Instant> to;    // exclusive
  std::optional<AuditDecision> decision;
  // Empty: every action. Otherwise the action equals it, or, when
  // action_prefix is set, begins with it ("api_key." for api_key.*).
  std::string action;
  bool action_prefix = false;
  // Empty: every event. Otherwise the masked credential contains it (ASCII
  // case-insensitively: "a1b9" finds "key ••••a1B9", "cli_x" a client) or
  // the resource names the key ("api_key/<key>...").
  std::string key;
  std::optional<AuditCursor> after;  // continue after this event
  int limit = 100;                   // 1..kMaxAuditPageSize
};

struct AuditPage {
  std::vector<AuditEvent> events;   // newest first
  std::optional<AuditCursor> next;  // set when more events may follow
};

// One distinct client of an account: the caller's IP, User-Agent and
// X-Integration header, with when it was first and last seen.
struct AuditClient {
  std::string client_ip;
  std::string user_agent;
  std::string integration;
  std::vector<std::string> credentials;  // distinct masked credentials used, sorted
  Instant first_seen;
  Instant last_seen;        // the latest row's `at`
  std::int64_t calls = 0;   // sum of the rows' counts
  std::int64_t denied = 0;  // sum of the denied rows' counts
};

// How often one principal performed one action, per decision.
struct AuditActionUse {
  std::string principal_id;
  std::string principal_name;  // the latest name recorded
  std::string action;
  std::string resource;
  std::int64_t allowed = 0;  // calls: sum of the allowed rows' counts
  std::int64_t denied = 0;   // calls: sum of the denied rows' counts
  Instant last_seen;         // the latest row's `at`
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends the events in one transaction, in order, assigning increasing
  // ids, each with its `count` (>= 1). Durable on return. The `id` of the
  // given events is ignored.
  virtual Status append(std::span<const AuditEvent> events) = 0;

  // One page of events matching `query`, newest first.
  // kInvalidRequest when limit is outside 1..kMaxAuditPageSize.
  virtual Result<AuditPage> query(const AuditQuery& query) = 0;

  // The distinct (client IP, User-Agent, X-Integration) that called as
  // `principal_id` in [from, to), most recently seen first.
  virtual Result<std::vector<AuditClient>> clients_of(std::string_view principal_id, Instant from,
                                                      Instant to) = 0;

  // Per (principal, action, resource): calls in [from, to) by decision,
  // ordered by principal id, action, resource. Events without a principal
  // are left out.
  virtual Result<std::vector<AuditActionUse>> action_usage(Instant from, Instant to) = 0;

  // Deletes events (rows) whose `at` is older than `before`; returns how
  // many rows.
  virtual Result<std::int64_t> prune(Instant before) = 0;
};

}  // namespace latchkey
