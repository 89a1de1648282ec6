// Handlers of seed 000's account surface: token issuance with Basic client
// credentials, revocation without replacement, and "who am I".
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response issue_account_token(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response revoke_account_token(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response account_me(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
