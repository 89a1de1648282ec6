#include "tokens/principal_of_user.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "accounts/account_expiry.h"
#include "core/time.h"

namespace latchkey {
namespace {

std::string json_string(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// GET /api/v1/account/me with its keys in the order the JSON library
// writes them (sorted), "expires_in" cut out: head + seconds + tail.
void render_me(Principal& p) {
  nlohmann::json modules = p.modules;
  std::string head = "{\"api_access\":";
  head += p.api_access ? "true" : "false";
  head += ",\"client_id\":" + json_string(p.client_id);
  head += ",\"id\":" + json_string(p.user_id);
  head += ",\"modules\":" + modules.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  head += ",\"name\":" + json_string(p.name);
  head += ",\"token\":{\"expires_at\":\"" + format_rfc3339(p.token_expires_at) + "\"";
  head += ",\"expires_in\":";
  std::string tail = ",\"issued_at\":\"" + format_rfc3339(p.token_issued_at) + "\"}";
  tail += ",\"type\":" + json_string(to_string(p.type)) + "}";
  p.me_json_head = std::move(head);
  p.me_json_tail = std::move(tail);
}

}  // namespace

std::shared_ptr<Principal> principal_of_user(const User& user, std::string client_id,
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
  p->account_expires_at = account_expiry_of(user);
  render_me(*p);
  return p;
}

}  // namespace latchkey
