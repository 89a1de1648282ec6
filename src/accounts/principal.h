// Principal: the authenticated caller of a request, as the rest of latchkey
// sees it. Built from the user record and the credential that proved it;
// immutable once built and shared between threads via shared_ptr<const>.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "store/records.h"

namespace latchkey {

struct Principal {
  std::string user_id;
  std::string name;
  UserType type = UserType::kHuman;
  bool api_access = false;
  std::vector<std::string> modules;
  std::string client_id;  // the client whose credentials produced the token
  Instant token_issued_at;
  Instant token_expires_at;

  bool has_module(std::string_view module) const {
    return std::find(modules.begin(), modules.end(), module) != modules.end();
  }
  bool is_admin() const { return has_module(kModuleAdmin); }
};

}  // namespace latchkey
