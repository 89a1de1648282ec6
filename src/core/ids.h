// Public identifiers: a short type prefix and 20 random base62 characters
// (~119 bits), e.g. "usr_4fK...", "cli_9Qz...". Identifiers are not secrets.
#pragma once

#include <string>
#include <string_view>

#include "core/random.h"

namespace latchkey {

inline std::string new_id(std::string_view prefix, Random& random) {
  return std::string(prefix) + random_base62(random, 20);
}

}  // namespace latchkey
