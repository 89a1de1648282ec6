// The decision API: POST /v1/authorize (seed 001). The caller's own bearer
// token; body {"action", "application", "steps"?, "admin_data"?}; 200 allow
// or 403 deny with a machine-readable reason. Every decision is audited.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/decision_source.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

// What POST /v1/authorize asks the decide stage (the request body).
std::shared_ptr<const pipeline::DecisionSource> authorize_decision_source();

// The 200 of an allowed decision (the decide stage answered any other).

http::Response authorize(const ApiContext& ctx, pipeline::Exchange& ex);

// POST /api/v1/users/{id}/authorize (ADMIN): what POST /v1/authorize would
// answer an account token of user {id}, decided by the same decider, without
// such a token. Always a 200 (unless the user or application is unknown or
// the body is malformed): the body /v1/authorize would give plus "status",
// its status (200, 401 or 403). Audited as the admin's policy.what_if, so it
// never counts as the user's use of a grant.
http::Response what_if_authorize(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
