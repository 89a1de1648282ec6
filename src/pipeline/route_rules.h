// Route rules: how the nginx auth_request endpoint (api/auth_request_handlers.h)
// turns the original request's method and path into a decision request of
// seed 001's permission model. Configured in latchkeyd's TOML file:
//
//   [[route_rules]]
//   method = "POST"                              # or "*" for any method
//   path = "/apps/{application}/records"         # literal segments, captures, trailing *
//   action = "create_record"                     # a policy action, or "authenticated"
//
// Path patterns (route_spec.h): literal segments, the captures {application}
// and {step} (each at most once; a capture takes one whole segment) and a
// trailing "*" segment matching zero or more further segments. A rule may
// instead name a fixed `application` and fixed `steps`. The first matching
// rule wins; no match means deny (403, reason no_route_rule).
// "authenticated" admits any caller with a valid token, without a
// permission check. The decision half is the same DecisionSpec as a gateway
// route's.
//
// Bad rules are refused when the configuration is loaded, with a message
// naming the rule (route_rules[i], 0-based) and the problem.
//
// Pure; a compiled RouteRules is immutable and safe to share between threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "pipeline/route_spec.h"
#include "policy/decision.h"

namespace latchkey::pipeline {

// One [[route_rules]] table as configured.
struct RouteRuleSpec {
  std::string method;  // GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or "*"
  std::string path;
  std::string action;              // policy::Action wire name or "authenticated"
  std::string application;         // fixed application (when the path has no {application})
  std::vector<std::string> steps;  // fixed steps (when the path has no {step})
  bool admin_data = false;         // audit_export covering admin data
  bool operator==(const RouteRuleSpec&) const = default;  // config reload diffs
};

// The decision a matched route asks for.
struct RouteMatch {
  std::size_t rule = 0;  // index in the configured list
  bool authenticated_only = false;
  policy::DecisionRequest request;  // unused when authenticated_only
};

class RouteRules {
 public:
  RouteRules() = default;  // no rules: every request is denied

  // kInvalidRequest naming the first bad rule.
  static Result<RouteRules> compile(const std::vector<RouteRuleSpec>& specs);

  // The first rule matching `method` and `target` (the original URI; the
  // query string is ignored). nullopt when none matches, and for paths that
  // an upstream might read differently from latchkey: dot segments ("." and
  // ".."), empty segments ("//") and percent-encoded '/', '.' or '\'.
  std::optional<RouteMatch> match(std::string_view method, std::string_view target) const;

  std::size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string method;
    PathPattern path;
    DecisionSpec decision;
  };
  std::vector<Rule> rules_;
};

}  // namespace latchkey::pipeline
