#include "api/auth_request_handlers.h"

#include <string>
#include <utility>

#include "core/redaction.h"

namespace latchkey::api {
namespace {

constexpr std::size_t kMaxAuditedRouteBytes = 512;

Error denied(std::string_view reason, std::string description) {
  return Error::forbidden(std::move(description)).with_reason(std::string(reason));
}

// The nginx route rules (route_rules.h) applied to the original request.
class OriginalRequest final : public pipeline::DecisionSource {
 public:
  explicit OriginalRequest(const pipeline::RouteRules* rules) : rules_(rules) {}

  Result<pipeline::WantedDecision> wanted(const pipeline::Exchange& ex) const override {
    static const pipeline::RouteRules kNoRules;
    const pipeline::RouteRules& rules = rules_ != nullptr ? *rules_ : kNoRules;
    const http::Request& request = ex.request();
    const std::string method(request.header("X-Original-Method").value_or(""));
    const std::string uri(request.header("X-Original-URI").value_or(""));
    // How the request is named in the refusal and the audit trail (shown to
    // administrators): secret-shaped runs of the client's path redacted.
    const std::string route =
        sanitize_for_display(method + " " + uri.substr(0, uri.find('?')), kMaxAuditedRouteBytes);
    if (method.empty() || uri.empty()) {
      return fail(Error::invalid_request(
                      "X-Original-Method and X-Original-URI are required (set them in the nginx "
                      "configuration, see docs/nginx.md)")
                      .with_detail("action", "authorize.no_route_rule")
                      .with_detail("resource", route));
    }
    const auto match = rules.match(method, uri);
    if (!match) {
      return fail(denied("no_route_rule", "no route rule allows " + route)
                      .with_detail("action", "authorize.no_route_rule")
                      .with_detail("resource", route));
    }
    pipeline::WantedDecision out;
    if (match->authenticated_only) {
      out.authenticated_only = true;
      out.audit_action = "authorize.authenticated";
      out.audit_resource = route;
      return out;
    }
    out.audit_action = "authorize." + std::string(policy::to_string(match->request.action));
    out.audit_resource = policy::resource_of(match->request);
    out.request = match->request;
    return out;
  }

 private:
  const pipeline::RouteRules* rules_;
};

}  // namespace

std::shared_ptr<const pipeline::DecisionSource> auth_request_decision_source(
    const ApiContext& ctx) {
  return std::make_shared<OriginalRequest>(ctx.route_rules);
}

http::Response auth_request(const ApiContext&, pipeline::Exchange& ex) {
  const Principal& p = *ex.principal;
  http::Response r;
  r.status = 200;
  r.set_header("X-Latchkey-User-Id", p.user_id);
  r.set_header("X-Latchkey-User-Name", p.name);
  r.set_header("X-Latchkey-User-Type", std::string(to_string(p.type)));
  r.set_header("X-Latchkey-Credential", pipeline::credential_of(p));
  r.set_header("Cache-Control", "no-store");
  r.principal_for_log = p.user_id;
  return r;
}

}  // namespace latchkey::api
