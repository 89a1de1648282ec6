// The audit trail over HTTP (docs/audit.md), ADMIN only (403 otherwise):
//   GET /api/v1/audit                       one page of events, newest first
//   GET /api/v1/audit/export?format=…       the same filters as JSON Lines or CSV
//   GET /api/v1/users/{id}/dependents       who used the account lately (seed 001)
//   GET /api/v1/reports/least-privilege     granted vs used, per principal (seed 001)
// Each reads the store after flushing the buffered audit log, so that it
// sees every call recorded before it.
#pragma once

#include "api/api_context.h"
#include "http/message.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response list_audit_events(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response export_audit_events(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response user_dependents(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response least_privilege_report(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
