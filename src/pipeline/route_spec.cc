#include "pipeline/route_spec.h"

#include <algorithm>
#include <cctype>

namespace latchkey::pipeline {
namespace {

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

bool is_param_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Characters of a literal segment (RFC 3986 pchar without '%', so that a
// pattern never carries an encoding).
bool is_literal_text(std::string_view segment) {
  return std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
  });
}

bool has_encoded_separator(std::string_view segment) {
  for (std::size_t i = 0; i + 2 < segment.size(); ++i) {
    if (segment[i] != '%') continue;
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(segment[i + 1])));
    const char b = static_cast<char>(std::tolower(static_cast<unsigned char>(segment[i + 2])));
    if ((a == '2' && (b == 'f' || b == 'e')) || (a == '5' && b == 'c')) return true;
  }
  return false;
}

std::string known_actions() {
  std::string known;
  for (policy::Action a : policy::all_actions()) {
    known += std::string(policy::to_string(a)) + ", ";
  }
  return known + std::string(kAuthenticatedOnly);
}

}  // namespace

Result<PathPattern> PathPattern::compile(std::string_view pattern, Options options) {
  auto bad = [](std::string what) { return fail(Error::invalid_request(std::move(what))); };
  if (pattern.empty() || pattern.front() != '/') {
    return bad("path must start with '/', got \"" + std::string(pattern) + "\"");
  }
  PathPattern out;
  out.text_ = std::string(pattern);
  if (pattern == "/") return out;
  const auto parts = split_path(pattern);
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const std::string_view part = parts[j];
    const bool last = j + 1 == parts.size();
    Segment segment;
    if (options.allow_rest && part == "*") {
      if (!last) return bad("'*' may only be the last segment of the path");
      segment.kind = Segment::Kind::kRest;
    } else if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      const std::string name(part.substr(1, part.size() - 2));
      if (!is_param_name(name)) {
        return bad("path parameter {" + name + "} must be letters, digits and '_'");
      }
      if (out.has_param(name)) return bad("path parameter {" + name + "} appears twice");
      segment.kind = Segment::Kind::kCapture;
      segment.text = name;
      out.params_.push_back(name);
    } else if (part == "." || part == "..") {
      return bad("dot segments are not allowed in the path");
    } else if (part.empty()) {
      // A trailing '/' is a literal empty segment where rules may end in one.
      if (!(last && options.allow_rest)) {
        return bad("empty segment (\"//\" or a trailing '/') in the path");
      }
    } else if (!is_literal_text(part) || part.find_first_of("{}") != std::string_view::npos ||
               (options.allow_rest && part.find('*') != std::string_view::npos)) {
      return bad("malformed path segment \"" + std::string(part) + "\"");
    } else {
      segment.text = std::string(part);
    }
    out.segments_.push_back(std::move(segment));
  }
  return out;
}

bool PathPattern::has_param(std::string_view name) const {
  return std::find(params_.begin(), params_.end(), name) != params_.end();
}

std::optional<PathPattern::Captures> PathPattern::match(std::string_view path) const {
  if (path.empty() || path.front() != '/') return std::nullopt;
  const auto parts = split_path(path);
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const std::string_view part = parts[j];
    if (part == "." || part == ".." || has_encoded_separator(part)) return std::nullopt;
    if (part.empty() && j + 1 != parts.size()) return std::nullopt;
  }
  // "/" is one empty segment; a pattern "/" has none.
  const std::size_t count = path == "/" ? 0 : parts.size();
  Captures captures;
  std::size_t j = 0;
  for (const Segment& segment : segments_) {
    if (segment.kind == Segment::Kind::kRest) return captures;
    if (j >= count) return std::nullopt;
    const std::string_view part = parts[j++];
    if (segment.kind == Segment::Kind::kLiteral) {
      if (part != segment.text) return std::nullopt;
    } else {
      if (part.empty()) return std::nullopt;
      captures.emplace_back(segment.text, std::string(part));
    }
  }
  if (j != count) return std::nullopt;
  return captures;
}

policy::DecisionRequest DecisionSpec::resolve(
    const std::function<std::string_view(std::string_view)>& param) const {
  policy::DecisionRequest request;
  request.action = action;
  request.application =
      application_param.empty() ? application : std::string(param(application_param));
  if (!step_param.empty()) {
    request.steps.emplace_back(param(step_param));
  } else {
    request.steps = steps;
  }
  request.admin_data = admin_data;
  return request;
}

std::string DecisionSpec::audit_action(std::string_view prefix) const {
  return std::string(prefix) + "." +
         (authenticated_only ? std::string(kAuthenticatedOnly)
                             : std::string(policy::to_string(action)));
}

Result<DecisionSpec> compile_decision_spec(const DecisionSpecInput& in,
                                           const PathPattern& pattern) {
  auto bad = [](std::string what) { return fail(Error::invalid_request(std::move(what))); };
  DecisionSpec out;
  for (const auto& [key, name] : {std::pair{"application_param", &in.application_param},
                                  std::pair{"step_param", &in.step_param}}) {
    if (!name->empty() && !pattern.has_param(*name)) {
      return bad(std::string(key) + " \"" + *name + "\" is not a parameter of path \"" +
                 pattern.text() + "\"");
    }
  }
  if (in.action == kAuthenticatedOnly) {
    if (!in.application.empty() || !in.application_param.empty() || !in.steps.empty() ||
        !in.step_param.empty() || in.admin_data) {
      return bad("action \"authenticated\" takes no application, steps, captures or admin_data");
    }
    out.authenticated_only = true;
    return out;
  }
  const auto action = policy::parse_action(in.action);
  if (!action) {
    return bad("unknown action \"" + in.action + "\"; known: " + known_actions());
  }
  out.action = *action;
  if (!in.application.empty() && !in.application_param.empty()) {
    return bad(
        "name the application exactly once: a path parameter or a fixed application, not both");
  }
  if (in.application.empty() && in.application_param.empty()) {
    return bad("action \"" + in.action +
               "\" needs application: name the application exactly once, as a path parameter "
               "or a fixed application");
  }
  if (!in.steps.empty() && !in.step_param.empty()) {
    return bad("name the steps once: a path parameter or fixed steps, not both");
  }
  if (policy::needs_requested_steps(*action) && in.steps.empty() && in.step_param.empty()) {
    return bad("action " + in.action +
               " needs steps: a path parameter or fixed steps (\"stp_...\")");
  }
  if (in.admin_data && *action != policy::Action::kAuditExport) {
    return bad("admin_data applies to audit_export only");
  }
  out.application = in.application;
  out.application_param = in.application_param;
  out.steps = in.steps;
  out.step_param = in.step_param;
  out.admin_data = in.admin_data;
  return out;
}

}  // namespace latchkey::pipeline
