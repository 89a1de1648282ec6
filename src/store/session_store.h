// SessionStore: the login sessions of seed 003. A session belongs to one
// API key; while its token is valid, the same (key, session) gets the same
// token back; revoking a session kills its token at once.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

class SessionStore {
 public:
  virtual ~SessionStore() = default;
};

}  // namespace latchkey
