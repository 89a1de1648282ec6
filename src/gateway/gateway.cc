#include "gateway/gateway.h"

#include <string>
#include <utility>

#include "api/audit_hooks.h"
#include "api/credentials.h"
#include "api/rate_limit.h"
#include "api/request_auth.h"
#include "authz/permission_service.h"
#include "core/secret.h"
#include "gateway/headers.h"
#include "gateway/proxy.h"
#include "http/error_response.h"
#include "limits/limits.h"

namespace latchkey::gateway {
namespace {

// Methods a read-only principal may use on an authenticated-only route.
bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

struct RouteState {
  const GatewayRoute* route;
  RouteMetrics metrics;
  std::string action;  // audit action: "gateway.read_records", "gateway.authenticated"
};

class Gateway {
 public:
  Gateway(const api::ApiContext& ctx, GatewayOptions options) : ctx_(ctx), options_(options) {}

  void handle(const RouteState& state, http::Request request, const http::PathParams& params,
              std::shared_ptr<http::Responder> responder) const {
    const GatewayRoute& route = *state.route;
    if (is_ambiguous_path(request.path())) {
      responder->respond(http::error_response(
          Error::invalid_request("the request path has an empty or dot segment, a ';' or '\\', "
                                 "or a %-escape of '/', '\\', ';' or an unreserved character; "
                                 "the gateway does not forward it")
              .with_reason("ambiguous_path")));
      return;
    }

    auto principal = api::authenticate_bearer(ctx_, request);
    if (!principal) {
      AuditEvent event = api::audit_event(ctx_, request, nullptr, state.action, route.label);
      if (auto token = api::parse_bearer_authorization(request.header("Authorization"))) {
        event.credential = "token " + mask_secret(*token);
      }
      deny(std::move(event), principal.error());
      responder->respond(http::error_response(principal.error()));
      return;
    }
    const std::shared_ptr<const Principal> p = std::move(*principal);

    // The decision, exactly as POST /v1/authorize makes it.
    std::string resource = route.label;
    if (route.authenticated_only) {
      // No action to decide, but a read-only key or a "read"-scope token
      // still never writes: only safe methods pass.
      if (!p->may_write() && !is_safe_method(request.method)) {
        const Error refused = Error::forbidden("this token has scope \"read\"; " + request.method +
                                               " on this route needs scope \"write\"")
                                  .with_reason("insufficient_scope");
        deny(api::audit_event(ctx_, request, p.get(), state.action, resource), refused);
        http::Response r = http::error_response(refused);
        r.set_header("X-Latchkey-Reason", refused.reason);
        r.principal_for_log = p->user_id;
        responder->respond(std::move(r));
        return;
      }
    } else {
      const policy::DecisionRequest wanted =
          route.decision_request([&params](std::string_view name) { return params.get(name); });
      resource = policy::resource_of(wanted);
      Result<void> decided = decide(*p, wanted, resource);
      if (!decided) {
        deny(api::audit_event(ctx_, request, p.get(), state.action, resource), decided.error());
        http::Response r = http::error_response(decided.error());
        if (decided.error().code == ErrorCode::kForbidden && !decided.error().reason.empty()) {
          r.set_header("X-Latchkey-Reason", decided.error().reason);
        }
        r.principal_for_log = p->user_id;
        responder->respond(std::move(r));
        return;
      }
    }

    // seed 004: 60 requests per minute per API key (key-derived tokens).
    const std::optional<limits::RateLimitState> rate = api::admit_key_request(ctx_, *p);
    if (rate && !rate->admitted) {
      deny(api::audit_event(ctx_, request, p.get(), state.action, resource),
           Error{ErrorCode::kTooManyRequests, "rate limited", "rate_limited"});
      http::Response r = api::too_many_requests(*rate);
      r.principal_for_log = p->user_id;
      responder->respond(std::move(r));
      return;
    }

    // seed 004: 5 concurrent requests per endpoint, per key; the sixth is
    // refused at once.
    std::shared_ptr<limits::Slot> slot;
    if (ctx_.limits != nullptr && p->key) {
      const std::optional<limits::KeyLimits> key_limits = api::key_limits_of(ctx_, *p);
      const int limit = key_limits ? key_limits->concurrent_per_route : 5;
      auto acquired =
          ctx_.limits->concurrency.try_acquire(p->key->key_id + " " + route.label, limit);
      if (!acquired) {
        limits::count_rejection("concurrency");
        deny(api::audit_event(ctx_, request, p.get(), state.action, resource),
             Error{ErrorCode::kTooManyRequests, "concurrency limited", "concurrency_limited"});
        http::Response r = api::too_many_concurrent(limit);
        if (rate) api::add_rate_limit_headers(r, *rate);
        r.principal_for_log = p->user_id;
        responder->respond(std::move(r));
        return;
      }
      slot = std::make_shared<limits::Slot>(std::move(*acquired));
    }

    api::audit(ctx_, api::audit_event(ctx_, request, p.get(), state.action, resource));

    ProxyJob job;
    job.route = &route;
    job.metrics = &state.metrics;
    job.method = request.method;
    job.target = route.upstream_target(request.target);
    job.headers = upstream_request_headers(request, *p,
                                           {.upstream_host_header = route.upstream.host_header,
                                            .forward_authorization = route.forward_authorization,
                                            .client_tls = options_.client_tls});
    job.body = std::move(request.body);
    job.responder = std::move(responder);
    if (rate) {
      http::Response carrier;
      api::add_rate_limit_headers(carrier, *rate);
      job.extra_response_headers = std::move(carrier.headers);
    }
    job.principal_for_log = p->user_id;
    job.on_end = [slot = std::move(slot)](UpstreamOutcome) {
      if (slot) slot->release();
    };
    proxy(std::move(job));
  }

 private:
  Result<void> decide(const Principal& p, const policy::DecisionRequest& wanted,
                      std::string& resource) const {
    if (ctx_.permissions == nullptr) {  // fail closed
      return fail(Error::forbidden("this server has no permission service")
                      .with_reason("permissions_unavailable"));
    }
    auto outcome = ctx_.permissions->decide(p, wanted);
    if (!outcome) return fail(outcome.error());  // unknown_application, unknown_step: 404 / 400
    resource = policy::resource_of(outcome->resolved);
    const policy::Decision& d = outcome->decision;
    if (d.allow) return {};
    Error denied = Error::forbidden(d.description);
    denied.with_reason(d.reason)
        .with_detail("decision", "deny")
        .with_detail("action", std::string(policy::to_string(wanted.action)))
        .with_detail("user_id", p.user_id);
    if (!d.module.empty()) denied.with_detail("module", d.module);
    if (!d.application.empty()) denied.with_detail("application", d.application);
    if (!d.step.empty()) denied.with_detail("step", d.step);
    if (!d.required.empty()) denied.with_detail("required", d.required);
    return fail(std::move(denied));
  }

  void deny(AuditEvent event, const Error& error) const {
    event.decision = AuditDecision::kDeny;
    event.reason = error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
    api::audit(ctx_, std::move(event));
  }

  const api::ApiContext& ctx_;
  GatewayOptions options_;
};

}  // namespace

void add_gateway_routes(http::Router& router, const api::ApiContext& ctx,
                        const std::vector<GatewayRoute>& routes, GatewayOptions options) {
  if (routes.empty()) return;
  auto gateway = std::make_shared<const Gateway>(ctx, options);
  for (const GatewayRoute& route : routes) {
    auto state = std::make_shared<const RouteState>(RouteState{
        &route, RouteMetrics::for_route(route.label),
        "gateway." + (route.authenticated_only ? std::string(kAuthenticatedOnly)
                                               : std::string(policy::to_string(route.action)))});
    for (const std::string& method : route.methods) {
      router.add_async(method, route.pattern,
                       [gateway, state](http::Request request, http::PathParams params,
                                        std::shared_ptr<http::Responder> responder) {
                         gateway->handle(*state, std::move(request), params, std::move(responder));
                       });
    }
  }
}

}  // namespace latchkey::gateway
