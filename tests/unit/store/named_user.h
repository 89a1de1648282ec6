// named_user(): the user "usr_<name>" named <name>, with API access, for the
// store tests that several instances share (PostgreSQL multi-node and
// batcher tests).
#pragma once

#include <string>

#include "core/time.h"
#include "store/records.h"

namespace latchkey::testing {

inline NewUser named_user(const std::string& name,
                          Instant created_at = from_unix_millis(1'700'000'000'000)) {
  NewUser user;
  user.id = "usr_" + name;
  user.name = name;
  user.api_access = true;
  user.created_at = created_at;
  return user;
}

}  // namespace latchkey::testing
