// Handlers of seed 000's account surface: token issuance with Basic client
// credentials, revocation without replacement, and "who am I".
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace latchkey::api {

http::Response issue_account_token(const ApiContext& ctx, const http::Request& request);
http::Response revoke_account_token(const ApiContext& ctx, const http::Request& request);
http::Response account_me(const ApiContext& ctx, const http::Request& request);

}  // namespace latchkey::api
