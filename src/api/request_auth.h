// The caller of a handler, as the pipeline's authenticate stage verified it.
#pragma once

#include <memory>

#include "accounts/principal.h"
#include "http/message.h"
#include "pipeline/credentials.h"
#include "pipeline/exchange.h"
#include "tokens/account_token_service.h"

namespace latchkey::api {

using pipeline::parse_basic_authorization;
using pipeline::parse_bearer_authorization;

// The verified principal of a Credential::kBearer route (the stage answered
// 401 otherwise); a 500 if a route that authenticates nobody asks.
Result<std::shared_ptr<const Principal>> verified_caller(const pipeline::Exchange& ex);

// Client IP and User-Agent, recorded with issued tokens.
RequestOrigin origin_of(const http::Request& request);

}  // namespace latchkey::api
