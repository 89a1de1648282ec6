// SigningKeyStore: The permission model of seed 001: roles, applications and steps, step permission
// sets, application entitlements, build access, role membership.
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
