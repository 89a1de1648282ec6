// The Principal a token of `user` stands for: the one place that copies a
// user record into a Principal, for account tokens and JWTs alike.
#pragma once

#include <memory>
#include <string>

#include "accounts/principal.h"
#include "store/records.h"

namespace latchkey {

// Also renders what a principal shows of itself once, here at cache fill
// rather than on every request (Principal::credential, me_json_*).
std::shared_ptr<Principal> principal_of_user(const User& user, std::string client_id,
                                             Instant issued_at, Instant expires_at);

}  // namespace latchkey
