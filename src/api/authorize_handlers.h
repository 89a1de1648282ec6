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

}  // namespace latchkey::api
