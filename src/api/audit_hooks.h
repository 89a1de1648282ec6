// Building audit events from requests, for every handler. Each helper is a
// no-op when the context has no audit log (tests that leave it out).
#pragma once

#include <string>

#include "accounts/principal.h"
#include "api/api_context.h"
#include "audit/audit_event.h"
#include "http/message.h"

namespace latchkey::api {

// The event for `request` by `principal` (null when unauthenticated), with
// time, client IP, User-Agent and X-Integration filled in.
AuditEvent audit_event(const ApiContext& ctx, const http::Request& request,
                       const Principal* principal, std::string action, std::string resource);

// Buffered: authenticated calls, token exchanges, decisions.
void audit(const ApiContext& ctx, AuditEvent event);

// Durable before it returns, for admin changes: call it after validating the
// request and before applying the change; on error, answer with it and do
// not apply the change.
Status audit_admin_change(const ApiContext& ctx, AuditEvent event);

}  // namespace latchkey::api
