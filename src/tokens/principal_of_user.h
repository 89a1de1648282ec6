// The Principal a token of `user` stands for: the one place that copies a
// user record into a Principal, for account tokens and JWTs alike.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "accounts/principal.h"
#include "store/records.h"

namespace latchkey {

inline std::shared_ptr<Principal> principal_of_user(const User& user, std::string client_id,
                                                    Instant issued_at, Instant expires_at) {
  auto p = std::make_shared<Principal>();
  p->user_id = user.id;
  p->name = user.name;
  p->type = user.type;
  p->api_access = user.api_access;
  p->modules = user.modules;
  p->client_id = std::move(client_id);
  if (!p->client_id.empty()) p->credential = "client " + p->client_id;
  p->token_issued_at = issued_at;
  p->token_expires_at = expires_at;
  return p;
}

}  // namespace latchkey
