// Origin restrictions and the token-interference alarm
// (docs/origin-restrictions.md):
//
//   PUT /api/v1/users/{id}/allowed-origins  {"cidrs": [...]}   ADMIN
//   PUT /api/v1/keys/{id}/allowed-origins   {"cidrs": [...]}   owner or ADMIN
//
// and what an account-token issuance does when it raises the interference
// alarm (metric, audit entry, event).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "core/error.h"
#include "http/message.h"
#include "pipeline/exchange.h"
#include "store/records.h"

namespace latchkey::api {

http::Response set_user_allowed_origins(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response set_key_allowed_origins(const ApiContext& ctx, pipeline::Exchange& ex);

// After an issuance that raised the alarm (AccountTokenService::issue):
// latchkey_token_interference_total, an audit entry
// ("account.token.interference") and a token.interference event. Never
// fails the issuance: a failed publish is logged.
void report_interference(const ApiContext& ctx, const http::Request& request,
                         const TokenInterference& alarm);

}  // namespace latchkey::api
