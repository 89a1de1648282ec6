#include "http/router.h"

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

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::string_view PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return {};
}

void Router::add(std::string method, std::string pattern, Dispatch dispatch, Handler handler) {
  Route r{std::move(method), std::move(pattern), {}, dispatch, std::move(handler), {}};
  for (auto s : split_path(r.pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler) {
  Route r{std::move(method), std::move(pattern), {}, Dispatch::kAsync, {}, std::move(handler)};
  for (auto s : split_path(r.pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  // An empty segment ("//") matches nothing: were it skipped, "//api/v1/keys"
  // would reach a route while checks on the raw path see another path.
  if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos) {
    return result;
  }
  const auto parts = split_path(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    PathParams params;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = route.segments[i];
      if (is_param(seg)) {
        if (parts[i].empty())
          ok = false;
        else
          params.add(seg.substr(1, seg.size() - 2), std::string(parts[i]));
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (route.method == method) {
      if (route.dispatch == Dispatch::kAsync) {
        result.async_handler = &route.async_handler;
      } else {
        result.handler = &route.handler;
      }
      result.dispatch = route.dispatch;
      result.pattern = &route.pattern;
      result.params = std::move(params);
      result.allowed_methods.clear();
      return result;
    }
    if (!result.allowed_methods.empty()) result.allowed_methods += ", ";
    result.allowed_methods += route.method;
  }
  return result;
}

std::vector<std::string> Router::describe() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.method + " " + r.pattern);
  return out;
}

}  // namespace latchkey::http
