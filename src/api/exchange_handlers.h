// Handlers of the API-key exchanges (seeds 003, 004) and of seed 003's
// login sessions (docs/jwt.md).
//
//   POST   /v2/auth/token/access                     seed 004: {api_key} -> 15-minute JWT
//   POST   /auth/login                               seed 003: {api_key, session_id?} -> 2-hour JWT
//   GET    /api/v1/keys/{id}/sessions                the key's sessions (owner or ADMIN)
//   DELETE /api/v1/keys/{id}/sessions/{session_id}   revoke a session (owner or ADMIN)
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response exchange_access_token(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response login_with_api_key(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response list_key_sessions(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response revoke_key_session(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
