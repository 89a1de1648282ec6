#include "api/user_json.h"

namespace latchkey::api {

Json user_to_json(const User& user, const std::optional<std::string>& client_id) {
  return Json{{"id", user.id},
              {"name", user.name},
              {"type", to_string(user.type)},
              {"api_access", user.api_access},
              {"disabled", user.disabled},
              {"modules", user.modules},
              {"client_id", client_id ? Json(*client_id) : Json(nullptr)},
              {"created_at", format_rfc3339(user.created_at)},
              {"updated_at", format_rfc3339(user.updated_at)},
              {"allowed_origins", user.allowed_origins}};
}

}  // namespace latchkey::api
