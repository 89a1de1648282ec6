#include "pipeline/route_rules.h"

#include <algorithm>
#include <array>

namespace latchkey::pipeline {
namespace {

constexpr std::array<std::string_view, 8> kMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                      "PATCH", "DELETE", "OPTIONS", "*"};

Error bad_rule(std::size_t index, const std::string& problem) {
  return Error::invalid_request("route_rules[" + std::to_string(index) + "]: " + problem);
}

}  // namespace

Result<RouteRules> RouteRules::compile(const std::vector<RouteRuleSpec>& specs) {
  RouteRules compiled;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const RouteRuleSpec& spec = specs[i];
    if (std::find(kMethods.begin(), kMethods.end(), spec.method) == kMethods.end()) {
      return fail(bad_rule(i,
                           "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, "
                           "OPTIONS or \"*\", got \"" +
                               spec.method + "\""));
    }
    auto path = PathPattern::compile(spec.path, {.allow_rest = true});
    if (!path) return fail(bad_rule(i, path.error().description));
    // The rules' own captures name what they capture.
    for (const std::string& name : path->params()) {
      if (name != "application" && name != "step") {
        return fail(bad_rule(i, "unknown path segment \"{" + name +
                                    "}\": captures are {application} and {step}, and '*' "
                                    "only as the whole last segment"));
      }
    }
    DecisionSpecInput input{spec.action, spec.application, "", spec.steps, "", spec.admin_data};
    if (path->has_param("application")) input.application_param = "application";
    if (path->has_param("step")) input.step_param = "step";
    auto decision = compile_decision_spec(input, *path);
    if (!decision) return fail(bad_rule(i, decision.error().description));
    compiled.rules_.push_back({spec.method, std::move(*path), std::move(*decision)});
  }
  return compiled;
}

std::optional<RouteMatch> RouteRules::match(std::string_view method,
                                            std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (rule.method != "*" && rule.method != method) continue;
    auto captures = rule.path.match(path);
    if (!captures) continue;
    RouteMatch match;
    match.rule = i;
    match.authenticated_only = rule.decision.authenticated_only;
    if (!match.authenticated_only) {
      match.request = rule.decision.resolve([&captures](std::string_view name) {
        for (const auto& [key, value] : *captures) {
          if (key == name) return std::string_view(value);
        }
        return std::string_view();
      });
    }
    return match;
  }
  return std::nullopt;
}

}  // namespace latchkey::pipeline
