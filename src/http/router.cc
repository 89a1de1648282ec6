#include "http/router.h"

#include <algorithm>

namespace latchkey::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto next = path.find('/', i);
    const auto end = next == std::string_view::npos ? path.size() : next;
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

// The next segment of `rest` (after any '/'), and `rest` past it; empty when
// none is left (a trailing '/' ends the path).
std::string_view next_segment(std::string_view& rest) {
  const auto start = rest.find_first_not_of('/');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  const auto end = rest.find('/', start);
  const std::string_view segment =
      rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return segment;
}

// "{name+}": the rest of the path (only as the last segment).
bool is_rest(std::string_view segment) {
  return segment.size() > 3 && segment.front() == '{' && segment.ends_with("+}");
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}' && !is_rest(segment);
}

}  // namespace

std::string_view PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return {};
}

void Router::add(std::string method, std::string pattern, Dispatch dispatch, Handler handler) {
  add_route(Route{std::move(method), std::move(pattern), {}, dispatch, std::move(handler), {}});
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler) {
  add_route(
      Route{std::move(method), std::move(pattern), {}, Dispatch::kAsync, {}, std::move(handler)});
}

void Router::add_route(Route route) {
  for (auto s : split_path(route.pattern)) route.segments.emplace_back(s);
  std::uint32_t node = 0;
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& segment = route.segments[i];
    std::uint32_t child = kNoNode;
    if (is_rest(segment) && i + 1 == route.segments.size()) {
      child = nodes_[node].rest;
      if (child == kNoNode) {
        child = static_cast<std::uint32_t>(nodes_.size());
        nodes_[node].rest = child;
        nodes_.emplace_back();
      }
    } else if (is_param(segment)) {
      child = nodes_[node].param;
      if (child == kNoNode) {
        child = static_cast<std::uint32_t>(nodes_.size());
        nodes_[node].param = child;
        nodes_.emplace_back();  // after the last use of a reference into nodes_
      }
    } else {
      auto& literals = nodes_[node].literals;
      const auto at =
          std::lower_bound(literals.begin(), literals.end(), segment,
                           [](const auto& entry, const std::string& s) { return entry.first < s; });
      if (at != literals.end() && at->first == segment) {
        child = at->second;
      } else {
        child = static_cast<std::uint32_t>(nodes_.size());
        literals.insert(at, {segment, child});
        nodes_.emplace_back();
      }
    }
    node = child;
  }
  nodes_[node].routes.push_back(static_cast<std::uint32_t>(routes_.size()));
  routes_.push_back(std::move(route));
}

// Calls visit(node) for every node whose routes' patterns match the rest of
// the path: at each level the literal child and the {param} child may both.
template <class Visit>
void Router::walk(std::uint32_t node, std::string_view rest, Visit& visit) const {
  const std::string_view segment = next_segment(rest);
  if (segment.empty()) return visit(nodes_[node]);
  const Node& here = nodes_[node];
  const auto at = std::lower_bound(
      here.literals.begin(), here.literals.end(), segment,
      [](const auto& entry, std::string_view s) { return std::string_view(entry.first) < s; });
  if (at != here.literals.end() && at->first == segment) walk(at->second, rest, visit);
  if (here.param != kNoNode) walk(here.param, rest, visit);
  if (here.rest != kNoNode) visit(nodes_[here.rest]);  // this segment and all after it
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  // An empty segment ("//") matches nothing: were it skipped, "//api/v1/keys"
  // would reach a route while checks on the raw path see another path.
  if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos) {
    return result;
  }
  // The first route added among those matching the path and the method.
  std::uint32_t best = kNoNode;
  bool path_known = false;
  auto pick = [&](const Node& node) {
    for (const std::uint32_t id : node.routes) {
      path_known = true;
      if (id >= best) break;  // ids ascend within a node
      if (routes_[id].method == method) {
        best = id;
        break;
      }
    }
  };
  walk(0, path, pick);

  if (best != kNoNode) {
    const Route& route = routes_[best];
    if (route.dispatch == Dispatch::kAsync) {
      result.async_handler = &route.async_handler;
    } else {
      result.handler = &route.handler;
    }
    result.dispatch = route.dispatch;
    result.pattern = &route.pattern;
    std::string_view rest = path;
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      const std::string& seg = route.segments[i];
      if (is_rest(seg) && i + 1 == route.segments.size()) {
        result.params.add(seg.substr(1, seg.size() - 3),
                          std::string(rest.substr(rest.find_first_not_of('/'))));
        break;
      }
      const std::string_view part = next_segment(rest);
      if (is_param(seg)) result.params.add(seg.substr(1, seg.size() - 2), std::string(part));
    }
    return result;
  }
  if (!path_known) return result;

  // 405: the methods of every route matching the path, in the order added.
  std::vector<std::uint32_t> ids;
  auto collect = [&](const Node& node) {
    ids.insert(ids.end(), node.routes.begin(), node.routes.end());
  };
  walk(0, path, collect);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string_view> seen;
  for (const std::uint32_t id : ids) {
    const std::string& m = routes_[id].method;
    if (std::find(seen.begin(), seen.end(), m) != seen.end()) continue;
    seen.push_back(m);
    if (!result.allowed_methods.empty()) result.allowed_methods += ", ";
    result.allowed_methods += m;
  }
  return result;
}

std::vector<std::string> Router::describe() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.method + " " + r.pattern);
  return out;
}

}  // namespace latchkey::http
