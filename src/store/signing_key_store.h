// SigningKeyStore: the ES256 keys that sign JWTs (seeds 003, 004): the
// current key and earlier ones, kept through rotation until no token they
// signed can still be valid.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;
};

}  // namespace latchkey
