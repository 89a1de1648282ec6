#include "api/auth_request_handlers.h"

#include <optional>
#include <string>
#include <utility>

#include "core/redaction.h"

namespace latchkey::api {
namespace {

constexpr std::size_t kMaxAuditedRouteBytes = 512;

Error denied(std::string_view reason, std::string description) {
  return Error::forbidden(std::move(description)).with_reason(std::string(reason));
}

// One field of the original request, named by nginx's X-Original-<what> or
// the X-Forwarded-<what> of Traefik ForwardAuth and Caddy forward_auth
// (docs/proxies.md). Proxies pass the client's own headers to the auth
// request, and each proxy sets only its own name: a client could add the
// other name to make latchkeyd authorize a request other than the one
// proxied. So the field must be stated once; two different values, or one
// name repeated, are ambiguous (nullopt). Absent everywhere: "".
std::optional<std::string> original_field(const http::Request& request, std::string_view nginx,
                                          std::string_view forwarded) {
  std::optional<std::string_view> seen;
  int count_nginx = 0;
  int count_forwarded = 0;
  for (const auto field : request.headers) {
    const bool is_nginx = http::iequals(field.name, nginx);
    if (!is_nginx && !http::iequals(field.name, forwarded)) continue;
    ++(is_nginx ? count_nginx : count_forwarded);
    if (count_nginx > 1 || count_forwarded > 1) return std::nullopt;
    if (seen && *seen != field.value) return std::nullopt;
    seen = field.value;
  }
  return std::string(seen.value_or(""));
}

// Where the original request is read from.
enum class Naming {
  kHeaders,     // X-Original-* (nginx) or X-Forwarded-Method/-Uri (Traefik, Caddy)
  kPathPrefix,  // Envoy ext_authz: this request's method, its path after the prefix
};

// The route rules (route_rules.h) applied to the original request.
class OriginalRequest final : public pipeline::DecisionSource {
 public:
  OriginalRequest(const pipeline::RouteRules* rules, Naming naming)
      : rules_(rules), naming_(naming) {}

  Result<pipeline::WantedDecision> wanted(const pipeline::Exchange& ex) const override {
    static const pipeline::RouteRules kNoRules;
    const pipeline::RouteRules& rules = rules_ != nullptr ? *rules_ : kNoRules;
    const http::Request& request = ex.request();
    std::string method;
    std::string uri;
    if (naming_ == Naming::kPathPrefix) {
      method = request.method;
      uri = "/" + std::string(ex.params().get("path"));
      if (!request.query().empty()) uri += "?" + std::string(request.query());
    } else {
      const auto method_field = original_field(request, "X-Original-Method", "X-Forwarded-Method");
      const auto uri_field = original_field(request, "X-Original-URI", "X-Forwarded-Uri");
      if (!method_field || !uri_field) {
        return fail(denied("ambiguous_original_request",
                           "the original request is named twice, differently (X-Original-* and "
                           "X-Forwarded-Method/-Uri, or a repeated header); see docs/proxies.md")
                        .with_detail("action", "authorize.no_route_rule")
                        .with_detail("resource", "ambiguous"));
      }
      method = *method_field;
      uri = *uri_field;
    }
    // How the request is named in the refusal and the audit trail (shown to
    // administrators): secret-shaped runs of the client's path redacted.
    const std::string route =
        sanitize_for_display(method + " " + uri.substr(0, uri.find('?')), kMaxAuditedRouteBytes);
    if (method.empty() || uri.empty()) {
      return fail(Error::invalid_request(
                      "X-Original-Method and X-Original-URI (nginx) or X-Forwarded-Method and "
                      "X-Forwarded-Uri (Traefik, Caddy) are required; see docs/nginx.md and "
                      "docs/proxies.md")
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
  const Naming naming_;
};

}  // namespace

std::shared_ptr<const pipeline::DecisionSource> auth_request_decision_source(
    const ApiContext& ctx) {
  return std::make_shared<OriginalRequest>(ctx.route_rules, Naming::kHeaders);
}

std::shared_ptr<const pipeline::DecisionSource> ext_authz_decision_source(const ApiContext& ctx) {
  return std::make_shared<OriginalRequest>(ctx.route_rules, Naming::kPathPrefix);
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
