// What a configured route asks the permission model, and the path patterns
// that select it: one syntax and one set of rules for both places where
// routes are configured, the nginx [[route_rules]] (route_rules.h) and the
// [[gateway_routes]] (gateway/route_table.h).
//
// Pure (no I/O); compiled values are immutable and safe to share.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "policy/decision.h"

namespace latchkey::pipeline {

inline constexpr std::string_view kAuthenticatedOnly = "authenticated";

// A path pattern: literal segments, {name} captures (letters, digits, '_';
// each name once, a capture takes one whole non-empty segment) and, where
// allowed, a last segment "*" matching zero or more further segments.
class PathPattern {
 public:
  struct Options {
    bool allow_rest = false;  // a trailing "*" segment
  };
  // kInvalidRequest saying what is wrong (no "where" prefix).
  static Result<PathPattern> compile(std::string_view pattern, Options options);

  const std::string& text() const { return text_; }
  const std::vector<std::string>& params() const { return params_; }
  bool has_param(std::string_view name) const;

  using Captures = std::vector<std::pair<std::string, std::string>>;
  // The captures when `path` (no query) matches. Never matches a path that
  // an upstream might read differently from latchkey: dot segments, empty
  // segments but a trailing one, or percent-encoded '/', '.' or '\'.
  std::optional<Captures> match(std::string_view path) const;

 private:
  struct Segment {
    enum class Kind { kLiteral, kCapture, kRest } kind = Kind::kLiteral;
    std::string text;  // the literal, or the capture's name
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<std::string> params_;
};

// The decision a route asks for, as configured.
struct DecisionSpecInput {
  std::string action;              // policy::Action wire name or "authenticated"
  std::string application;         // a fixed application id or name
  std::string application_param;   // or the path parameter that names it
  std::vector<std::string> steps;  // fixed steps
  std::string step_param;          // or the path parameter that names the step
  bool admin_data = false;         // audit_export covering admin data
};

// A compiled decision: taken with a matched path's parameters.
struct DecisionSpec {
  bool authenticated_only = false;  // no permission check, only a valid token
  policy::Action action = policy::Action::kReadRecords;
  std::string application;
  std::string application_param;
  std::vector<std::string> steps;
  std::string step_param;
  bool admin_data = false;

  // The decision request, with the application and step taken from the
  // fixed values or from `param(name)`. Unused when authenticated_only.
  policy::DecisionRequest resolve(
      const std::function<std::string_view(std::string_view)>& param) const;
  // "<prefix>.<action>" or "<prefix>.authenticated", for the audit trail.
  std::string audit_action(std::string_view prefix) const;
};

// kInvalidRequest naming the problem (no "where" prefix) unless the spec is
// whole and consistent with `pattern`'s parameters.
Result<DecisionSpec> compile_decision_spec(const DecisionSpecInput& input,
                                           const PathPattern& pattern);

}  // namespace latchkey::pipeline
