#include "server/reload.h"

#include <spdlog/spdlog.h>

#include <map>
#include <utility>

#include "api/routes.h"
#include "gateway/gateway.h"
#include "gateway/route_table.h"
#include "pipeline/route_rules.h"
#include "server/logging.h"

namespace latchkey::server {
namespace {

// What a configured router's handlers refer to, kept alive with it.
struct ConfiguredRouting {
  ConfiguredRouting(const api::ApiContext& base, pipeline::RouteRules compiled_rules,
                    std::vector<gateway::GatewayRoute> compiled_gateway)
      : rules(std::move(compiled_rules)), gateway(std::move(compiled_gateway)), ctx(base) {}
  pipeline::RouteRules rules;
  std::vector<gateway::GatewayRoute> gateway;
  api::ApiContext ctx;
  http::Router router;
};

}  // namespace

void apply_log_level(const Config& config) { set_log_level(config.log_level); }

Result<std::shared_ptr<const http::Router>> build_configured_router(const api::ApiContext& base,
                                                                    const Config& config) {
  auto rules = pipeline::RouteRules::compile(config.route_rules);
  if (!rules)
    return fail(Error::invalid_request("bad nginx route rule: " + rules.error().description));
  auto gateway_routes = gateway::compile_gateway_routes(config.gateway_routes);
  if (!gateway_routes) {
    return fail(Error::invalid_request("bad gateway route: " + gateway_routes.error().description));
  }
  auto routing =
      std::make_shared<ConfiguredRouting>(base, std::move(*rules), std::move(*gateway_routes));
  routing->ctx.route_rules = &routing->rules;
  routing->router = api::build_router(
      routing->ctx,
      gateway::gateway_route_entries(routing->gateway, {.client_tls = !config.tls_cert.empty()}));
  return std::shared_ptr<const http::Router>(routing, &routing->router);
}

std::shared_ptr<const limits::ConfiguredLimitPolicy> make_limit_policy(
    const Config& config, limits::KeyOverrideLookup key_overrides) {
  std::map<std::string, limits::LimitOverride, std::less<>> roles;
  for (const RoleLimitSpec& role : config.role_limits) {
    limits::LimitOverride& over = roles[role.role];
    if (role.requests_per_minute)
      over.requests_per_minute = static_cast<int>(*role.requests_per_minute);
    if (role.concurrent_per_route)
      over.concurrent_per_route = static_cast<int>(*role.concurrent_per_route);
  }
  return std::make_shared<const limits::ConfiguredLimitPolicy>(
      limits::KeyLimits{static_cast<int>(config.rate_limit_per_minute),
                        static_cast<int>(config.concurrency_per_route)},
      std::move(roles), std::move(key_overrides));
}

Reloader::Reloader(Config running, Load load, Apply apply, Log log)
    : running_(std::move(running)),
      load_(std::move(load)),
      apply_(std::move(apply)),
      log_(std::move(log)) {}

ReloadOutcome Reloader::reload() {
  ReloadOutcome outcome;
  auto next = load_();
  if (!next) {
    outcome.error = next.error().description;
    log_(true, "reload refused, nothing changed: " + outcome.error);
    return outcome;
  }
  outcome.diff = diff_config(running_, *next);
  if (!outcome.diff.reloadable.empty()) {
    if (auto applied = apply_(*next, outcome.diff); !applied) {
      outcome.error = applied.error().description;
      log_(true, "reload refused, nothing changed: " + outcome.error);
      return outcome;
    }
  }
  outcome.applied = true;
  running_ = with_reloadable_settings(running_, *next);
  if (outcome.diff.reloadable.empty()) {
    log_(false, "reload: no reloadable setting changed");
  } else {
    log_(false, "reload: applied " + join_settings(outcome.diff.reloadable));
  }
  if (!outcome.diff.needs_restart.empty()) {
    log_(true, "reload: changed but NOT applied, restart latchkeyd to apply: " +
                   join_settings(outcome.diff.needs_restart));
  }
  return outcome;
}

}  // namespace latchkey::server
