// Handlers of the users admin API (docs/api.md "Users").
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace latchkey::api {

http::Response create_user(const ApiContext& ctx, const http::Request& request);
http::Response list_users(const ApiContext& ctx, const http::Request& request);
http::Response get_user(const ApiContext& ctx, const http::Request& request,
                        const http::PathParams& params);
http::Response update_user(const ApiContext& ctx, const http::Request& request,
                           const http::PathParams& params);
http::Response reset_access_key(const ApiContext& ctx, const http::Request& request,
                                const http::PathParams& params);
http::Response revoke_user_tokens(const ApiContext& ctx, const http::Request& request,
                                  const http::PathParams& params);

}  // namespace latchkey::api
