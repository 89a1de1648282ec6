// JSON pieces of origin restrictions (docs/origin-restrictions.md) shared
// by the handlers that read or show them. Handler .cc files only (pulls in
// nlohmann/json through json_io.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/api_context.h"
#include "api/json_io.h"
#include "store/key_store.h"

namespace latchkey::api {

// The array of strings at `field` ("cidrs", or "allowed_origins" at key
// creation): absent or null is an empty list unless `required`. Entries
// are validated later (normalize_allowed_origins); here only the shape and
// the count (at most kMaxAllowedOrigins) are.
Result<std::vector<std::string>> cidr_list_field(const Json& body, std::string_view field,
                                                 bool required);

// The "interference" object of the dependents report: null when the user
// never met the token-interference rule.
Result<Json> interference_json(const ApiContext& ctx, std::string_view user_id);

// A key as GET /api/v1/keys lists it (key_handlers.cc).
Json key_json(const ApiContext& ctx, const ApiKey& key);

}  // namespace latchkey::api
