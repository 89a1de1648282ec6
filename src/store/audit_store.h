// AuditStore: The audit trail: every authenticated call, appended in batches; queried by principal,
// time range and decision.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

class AuditStore {
 public:
  virtual ~AuditStore() = default;
};

}  // namespace latchkey
