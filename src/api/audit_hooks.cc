#include "api/audit_hooks.h"

#include <utility>

#include "audit/audit_log.h"
#include "core/clock.h"

namespace latchkey::api {

AuditEvent audit_event(const ApiContext& ctx, const http::Request& request,
                       const Principal* principal, std::string action, std::string resource) {
  AuditEvent event;
  event.at = ctx.clock.now();
  if (principal != nullptr) {
    event.principal_id = principal->user_id;
    event.principal_name = principal->name;
    event.credential = pipeline::credential_of(*principal);
  }
  event.action = std::move(action);
  event.resource = std::move(resource);
  pipeline::add_request_fields(event, request);
  return event;
}

void audit(pipeline::Exchange& ex, AuditEvent event) { ex.note(std::move(event)); }

Status audit_admin_change(const ApiContext& ctx, pipeline::Exchange& ex, AuditEvent event) {
  ex.mark_recorded_durably();
  if (ctx.audit == nullptr) return {};
  return ctx.audit->record_durably(std::move(event));
}

}  // namespace latchkey::api
