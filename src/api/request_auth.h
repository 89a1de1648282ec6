// Authenticating the caller of a handler from its Authorization header.
#pragma once

#include <memory>

#include "accounts/principal.h"
#include "api/api_context.h"
#include "http/message.h"
#include "tokens/account_token_service.h"

namespace latchkey::api {

// The bearer token's principal, or the 401 that explains why not.
Result<std::shared_ptr<const Principal>> authenticate_bearer(const ApiContext& ctx,
                                                             const http::Request& request);

// Client IP and User-Agent, recorded with issued tokens.
RequestOrigin origin_of(const http::Request& request);

}  // namespace latchkey::api
