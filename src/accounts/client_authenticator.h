// ClientAuthenticator: proves a Client ID + Secret (seed 000) and returns
// the user they belong to, or says why not.
//
// Unknown client ids and wrong secrets get the same answer, so a client id
// cannot be confirmed by guessing secrets; the secret's digest is compared
// in constant time. A correct secret of a disabled user or of a user without
// API access is refused with that reason (seed 001: "returns 401 on every
// call").
//
// Thread-safety: safe from any thread (holds only a Store&).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace latchkey {

struct AuthenticatedClient {
  User user;
  std::string client_id;
};

class ClientAuthenticator {
 public:
  explicit ClientAuthenticator(Store& store) : store_(store) {}

  // kInvalidClient (reason empty, "user_disabled" or "api_access_disabled"),
  // or the store's kUnavailable/kInternal.
  Result<AuthenticatedClient> authenticate(std::string_view client_id, std::string_view secret);

 private:
  Store& store_;
};

}  // namespace latchkey
