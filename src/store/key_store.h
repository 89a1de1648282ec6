// KeyStore: API keys (seeds 002-004) and login sessions (seed 003).
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

class KeyStore {
 public:
  virtual ~KeyStore() = default;
};

}  // namespace latchkey
