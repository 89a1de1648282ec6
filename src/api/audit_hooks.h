// Building audit events from requests, for every handler. A handler notes
// the one event of its exchange (audit()); the pipeline's audit stage
// records it when the answer leaves (pipeline/pipeline.h).
#pragma once

#include <string>

#include "accounts/principal.h"
#include "api/api_context.h"
#include "audit/audit_event.h"
#include "http/message.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

// The event for `request` by `principal` (null when unauthenticated), with
// time, client IP, User-Agent and X-Integration filled in.
AuditEvent audit_event(const ApiContext& ctx, const http::Request& request,
                       const Principal* principal, std::string action, std::string resource);

// Notes `event` as the exchange's audit record (buffered when it leaves).
void audit(pipeline::Exchange& ex, AuditEvent event);

// Durable before it returns, for admin changes: call it after validating the
// request and before applying the change; on error, answer with it and do
// not apply the change. The exchange then records only a later failure.
Status audit_admin_change(const ApiContext& ctx, pipeline::Exchange& ex, AuditEvent event);

}  // namespace latchkey::api
