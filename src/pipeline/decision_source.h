// DecisionSource: where a route's seed-001 decision comes from (requirement.h
// `decision`): the body of POST /v1/authorize, the nginx route rules matched
// against X-Original-URI, or a gateway route's action and path parameters.
// The decide stage takes the decision; the source only says what is asked.
#pragma once

#include <string>

#include "core/error.h"
#include "policy/decision.h"

namespace latchkey::pipeline {

class Exchange;

struct WantedDecision {
  // No permission check, only a valid token; with `needs_write`, a
  // read-only principal is still refused.
  bool authenticated_only = false;
  bool needs_write = false;
  policy::DecisionRequest request;  // unused when authenticated_only
  std::string audit_action;         // "authorize.read_records", "gateway.authenticated"
  std::string audit_resource;       // before names are resolved to ids
  // Whether the audit resource names the steps ("application/app_1/steps/
  // stp_a") or only the application (POST /v1/authorize's records).
  bool resource_names_steps = true;
};

class DecisionSource {
 public:
  virtual ~DecisionSource() = default;
  // What the exchange asks; an error answers the request (400 for a bad
  // body, 403 no_route_rule for nginx). An error may carry the audit action
  // and resource as details "action" and "resource".
  virtual Result<WantedDecision> wanted(const Exchange& exchange) const = 0;
};

}  // namespace latchkey::pipeline
