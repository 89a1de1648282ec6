// Handlers of the users admin API (docs/api.md "Users").
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response create_user(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response list_users(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response get_user(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response update_user(const ApiContext& ctx, pipeline::Exchange& ex);
// POST /api/v1/users/{id}/access-key, optional {"previous_valid_for_seconds"}
// (docs/rotation.md); DELETE .../access-key/previous retires the old secret.
http::Response reset_access_key(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response retire_previous_secret(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response revoke_user_tokens(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
