#include "api/route_rules.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace latchkey::api {
namespace {

constexpr std::array<std::string_view, 8> kMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                      "PATCH", "DELETE", "OPTIONS", "*"};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);  // the leading '/'
  for (;;) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

bool has_encoded_separator(std::string_view segment) {
  for (std::size_t i = 0; i + 2 < segment.size(); ++i) {
    if (segment[i] != '%') continue;
    const std::string_view hex = segment.substr(i + 1, 2);
    const auto lower = [](char c) { return static_cast<char>(std::tolower(c)); };
    const std::string code{lower(hex[0]), lower(hex[1])};
    if (code == "2f" || code == "2e" || code == "5c") return true;
  }
  return false;
}

Error bad_rule(std::size_t index, const std::string& problem) {
  return Error::invalid_request("route_rules[" + std::to_string(index) + "]: " + problem);
}

}  // namespace

Result<RouteRules> RouteRules::compile(const std::vector<RouteRuleSpec>& specs) {
  RouteRules compiled;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const RouteRuleSpec& spec = specs[i];
    Rule rule;
    if (std::find(kMethods.begin(), kMethods.end(), spec.method) == kMethods.end()) {
      return fail(bad_rule(i,
                           "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, "
                           "OPTIONS or \"*\", got \"" +
                               spec.method + "\""));
    }
    rule.method = spec.method;

    if (spec.path.empty() || spec.path.front() != '/') {
      return fail(bad_rule(i, "path must start with '/', got \"" + spec.path + "\""));
    }
    bool has_application = false;
    bool has_step = false;
    const auto parts = split_path(spec.path);
    for (std::size_t j = 0; j < parts.size(); ++j) {
      const std::string_view part = parts[j];
      Segment segment;
      if (part == "*") {
        if (j + 1 != parts.size()) {
          return fail(bad_rule(i, "'*' may only be the last segment of the path"));
        }
        segment.kind = Segment::Kind::kRest;
      } else if (part == "{application}" || part == "{step}") {
        bool& seen = part == "{application}" ? has_application : has_step;
        if (seen) return fail(bad_rule(i, std::string(part) + " appears twice in the path"));
        seen = true;
        segment.kind = part == "{application}" ? Segment::Kind::kApplication : Segment::Kind::kStep;
      } else if (part.find_first_of("{}*") != std::string_view::npos) {
        return fail(bad_rule(i, "unknown path segment \"" + std::string(part) +
                                    "\": captures are {application} and {step}, and '*' "
                                    "only as the whole last segment"));
      } else if (part.empty() && j + 1 != parts.size()) {
        return fail(bad_rule(i, "empty segment (\"//\") in the path"));
      } else if (part == "." || part == "..") {
        return fail(bad_rule(i, "dot segments are not allowed in the path"));
      } else {
        segment.literal = std::string(part);
      }
      rule.segments.push_back(std::move(segment));
    }

    if (spec.action == kAuthenticatedOnly) {
      rule.authenticated_only = true;
      if (has_application || has_step || !spec.application.empty() || !spec.steps.empty() ||
          spec.admin_data) {
        return fail(bad_rule(i,
                             "action \"authenticated\" takes no application, steps, "
                             "captures or admin_data"));
      }
    } else {
      const auto action = policy::parse_action(spec.action);
      if (!action) {
        std::string known;
        for (policy::Action a : policy::all_actions()) {
          known += std::string(policy::to_string(a)) + ", ";
        }
        return fail(bad_rule(
            i, "unknown action \"" + spec.action + "\"; known: " + known + "authenticated"));
      }
      rule.action = *action;
      if (has_application == !spec.application.empty()) {
        return fail(bad_rule(i,
                             "name the application exactly once: {application} in the path "
                             "or application = \"app_...\""));
      }
      if (has_step && !spec.steps.empty()) {
        return fail(bad_rule(i, "both {step} in the path and steps = [...]: use one"));
      }
      if (policy::needs_requested_steps(*action) && !has_step && spec.steps.empty()) {
        return fail(bad_rule(i, "action " + spec.action +
                                    " needs steps: {step} in the path or steps = [\"stp_...\"]"));
      }
      if (spec.admin_data && *action != policy::Action::kAuditExport) {
        return fail(bad_rule(i, "admin_data applies to audit_export only"));
      }
      rule.application = spec.application;
      rule.steps = spec.steps;
      rule.admin_data = spec.admin_data;
    }
    compiled.rules_.push_back(std::move(rule));
  }
  return compiled;
}

std::optional<RouteMatch> RouteRules::match(std::string_view method,
                                            std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return std::nullopt;
  const auto parts = split_path(path);
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const std::string_view part = parts[j];
    if (part == "." || part == ".." || has_encoded_separator(part)) return std::nullopt;
    if (part.empty() && j + 1 != parts.size()) return std::nullopt;
  }

  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (rule.method != "*" && rule.method != method) continue;
    std::string application = rule.application;
    std::vector<std::string> steps = rule.steps;
    bool matched = true;
    std::size_t j = 0;
    for (const Segment& segment : rule.segments) {
      if (segment.kind == Segment::Kind::kRest) {
        j = parts.size();
        break;
      }
      if (j >= parts.size()) {
        matched = false;
        break;
      }
      const std::string_view part = parts[j++];
      switch (segment.kind) {
        case Segment::Kind::kLiteral:
          matched = part == segment.literal;
          break;
        case Segment::Kind::kApplication:
          matched = !part.empty();
          application = std::string(part);
          break;
        case Segment::Kind::kStep:
          matched = !part.empty();
          steps = {std::string(part)};
          break;
        case Segment::Kind::kRest:
          break;
      }
      if (!matched) break;
    }
    if (!matched || j != parts.size()) continue;
    RouteMatch match;
    match.rule = i;
    match.authenticated_only = rule.authenticated_only;
    match.request.action = rule.action;
    match.request.application = std::move(application);
    match.request.steps = std::move(steps);
    match.request.admin_data = rule.admin_data;
    return match;
  }
  return std::nullopt;
}

}  // namespace latchkey::api
