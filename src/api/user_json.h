// JSON shapes of users and credentials in the admin API (docs/api.md).
#pragma once

#include <optional>
#include <string>

#include "api/json_io.h"
#include "store/records.h"

namespace latchkey::api {

Json user_to_json(const User& user, const std::optional<std::string>& client_id);

}  // namespace latchkey::api
