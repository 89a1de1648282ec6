// AuditLog: where handlers hand their audit events.
//
// record() never puts a store write on the request's path: events are
// buffered and appended in batches, so a crash can lose the last moments of
// buffered events. record_durably() returns once the event is stored; admin
// changes use it before applying the change, so a crash never leaves a
// change without its record (at worst a record of a change that did not
// complete).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "audit/audit_event.h"
#include "core/error.h"

namespace latchkey {

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual void record(AuditEvent event) = 0;
  virtual Status record_durably(AuditEvent event) = 0;
  // Stores every event recorded before the call; returns once they are
  // durable (or the error that lost them). Readers of the trail call it
  // first so that they see their own calls.
  virtual Status flush() { return {}; }
};

}  // namespace latchkey
