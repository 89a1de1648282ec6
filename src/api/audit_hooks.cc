#include "api/audit_hooks.h"

#include <utility>

#include "audit/audit_log.h"
#include "core/clock.h"

namespace latchkey::api {
namespace {

// How the caller proved itself, without the secret.
std::string credential_of(const Principal& principal) {
  if (principal.key) return "key " + principal.key->masked_key;
  if (!principal.client_id.empty()) return "client " + principal.client_id;
  return {};
}

}  // namespace

AuditEvent audit_event(const ApiContext& ctx, const http::Request& request,
                       const Principal* principal, std::string action, std::string resource) {
  AuditEvent event;
  event.at = ctx.clock.now();
  if (principal != nullptr) {
    event.principal_id = principal->user_id;
    event.principal_name = principal->name;
    event.credential = credential_of(*principal);
  }
  event.action = std::move(action);
  event.resource = std::move(resource);
  event.client_ip = request.remote_ip;
  event.user_agent = std::string(request.header("User-Agent").value_or(""));
  event.integration = std::string(request.header("X-Integration").value_or(""));
  return event;
}

void audit(const ApiContext& ctx, AuditEvent event) {
  if (ctx.audit != nullptr) ctx.audit->record(std::move(event));
}

Status audit_admin_change(const ApiContext& ctx, AuditEvent event) {
  if (ctx.audit == nullptr) return {};
  return ctx.audit->record_durably(std::move(event));
}

}  // namespace latchkey::api
