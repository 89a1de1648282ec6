#include "gateway/gateway.h"

#include <memory>
#include <string>
#include <utility>

#include "gateway/headers.h"
#include "gateway/proxy.h"
#include "pipeline/decision_source.h"
#include "pipeline/exchange.h"

namespace latchkey::gateway {
namespace {

// Methods a read-only principal may use on an authenticated-only route.
bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

// What a gateway route asks the decide stage: its action, with the
// application and step fixed or taken from the path.
class RouteDecision final : public pipeline::DecisionSource {
 public:
  explicit RouteDecision(const GatewayRoute& route)
      : route_(route), action_(route.decision.audit_action("gateway")) {}

  Result<pipeline::WantedDecision> wanted(const pipeline::Exchange& ex) const override {
    if (is_ambiguous_path(ex.request().path())) {
      return fail(
          Error::invalid_request("the request path has an empty or dot segment, a ';' or '\\', "
                                 "or a %-escape of '/', '\\', ';' or an unreserved character; "
                                 "the gateway does not forward it")
              .with_reason("ambiguous_path")
              .with_detail("action", action_)
              .with_detail("resource", route_.label));
    }
    pipeline::WantedDecision out;
    out.audit_action = action_;
    out.audit_resource = route_.label;
    if (route_.authenticated_only()) {
      // No action to decide, but a read-only key or a "read"-scope token
      // still never writes: only safe methods pass.
      out.authenticated_only = true;
      out.needs_write = !is_safe_method(ex.request().method);
      return out;
    }
    out.request =
        route_.decision_request([&ex](std::string_view name) { return ex.params().get(name); });
    out.audit_resource = policy::resource_of(out.request);
    return out;
  }

 private:
  const GatewayRoute& route_;
  const std::string action_;
};

struct RouteState {
  const GatewayRoute* route;
  RouteMetrics metrics;
  GatewayOptions options;
};

// Runs once the stages let the request through: proxies it, holding the
// exchange's concurrency slot until the upstream exchange is over.
void pass_on(const RouteState& state, pipeline::Exchange& ex, http::Request& request,
             std::shared_ptr<http::Responder> responder) {
  const GatewayRoute& route = *state.route;
  const Principal& p = *ex.principal;
  ex.passed_on = true;
  ProxyJob job;
  job.route = &route;
  job.metrics = &state.metrics;
  job.method = request.method;
  job.target = route.upstream_target(request.target);
  job.headers = upstream_request_headers(request, p,
                                         {.upstream_host_header = route.upstream.host_header,
                                          .forward_authorization = route.forward_authorization,
                                          .client_tls = state.options.client_tls});
  job.body = std::move(request.body);
  job.responder = std::move(responder);
  job.principal_for_log = p.user_id;
  job.on_end = [holds = ex.take_holds()](UpstreamOutcome) mutable { holds.clear(); };
  proxy(std::move(job));
}

}  // namespace

std::vector<pipeline::RouteEntry> gateway_route_entries(const std::vector<GatewayRoute>& routes,
                                                        GatewayOptions options) {
  std::vector<pipeline::RouteEntry> out;
  for (const GatewayRoute& route : routes) {
    auto state = std::make_shared<const RouteState>(
        RouteState{&route, RouteMetrics::for_route(route.label), options});
    pipeline::Requirement req;
    req.credential = pipeline::Credential::kBearer;
    req.key_limit = pipeline::KeyLimit::kRateAndConcurrency;
    req.limit_scope = route.label;
    req.decision = std::make_shared<RouteDecision>(route);
    req.audit_action = "gateway.authenticate";
    req.audit_resource = route.label;
    req.route_label = route.label;  // usage per key: one name per route, "*" included
    for (const std::string& method : route.methods) {
      pipeline::RouteEntry entry;
      entry.method = method;
      entry.pattern = route.pattern;
      entry.dispatch = http::Dispatch::kAsync;
      entry.requirement = req;
      entry.async_handler = [state](pipeline::Exchange& ex, http::Request& request,
                                    std::shared_ptr<http::Responder> responder) {
        pass_on(*state, ex, request, std::move(responder));
      };
      out.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace latchkey::gateway
