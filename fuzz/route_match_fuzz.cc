// Path matching: the router's trie (src/http/router.cc) and the configured
// route patterns (src/pipeline/route_spec.cc PathPattern).
//
// Input: lines. The first byte says how many of the lines (0-7) are routes,
// "METHOD pattern"; the other lines are request paths, each looked up with
// the method of every route.
//
// Properties: the trie answers exactly what trying every route in order
// answers (the reference below, with a last "{name+}" taking the rest of the
// path): the same route, the same parameters, the
// same 405 method list. A compiled PathPattern's match has one non-empty
// capture per parameter, none holding '/', and never matches a path with a
// dot segment.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/router.h"
#include "pipeline/route_spec.h"

namespace {

using latchkey::http::Router;

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    const std::size_t end = std::min(path.find('/', i), path.size());
    if (end > i) out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool is_rest(std::string_view s) { return s.size() > 3 && s.front() == '{' && s.ends_with("+}"); }
bool is_param(std::string_view s) {
  return s.size() > 2 && s.front() == '{' && s.back() == '}' && !is_rest(s);
}

struct RouteLine {
  std::string method;
  std::string pattern;
};

// Every route in order; the parameters of `pattern` for `path`, or nullopt.
std::optional<std::vector<std::pair<std::string, std::string>>> reference_match(
    std::string_view pattern, std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos) {
    return std::nullopt;
  }
  auto want = split(pattern);
  const auto got = split(path);
  // A last "{name+}" takes one or more segments: the rest of the path.
  std::optional<std::string> rest_name;
  if (!want.empty() && is_rest(want.back())) {
    rest_name = std::string(want.back().substr(1, want.back().size() - 3));
    want.pop_back();
    if (got.size() <= want.size()) return std::nullopt;
  } else if (want.size() != got.size()) {
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      params.emplace_back(std::string(want[i].substr(1, want[i].size() - 2)), std::string(got[i]));
    } else if (want[i] != got[i]) {
      return std::nullopt;
    }
  }
  if (rest_name) {
    std::string rest;
    for (std::size_t i = want.size(); i < got.size(); ++i) {
      rest += (i == want.size() ? "" : "/") + std::string(got[i]);
    }
    if (path.back() == '/') rest += '/';
    params.emplace_back(*rest_name, rest);
  }
  return params;
}

void check_router(const std::vector<RouteLine>& routes, const Router& router,
                  std::string_view method, std::string_view path) {
  const auto match = router.match(method, path);
  std::optional<std::size_t> expected;
  std::string allowed;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (!reference_match(routes[i].pattern, path)) continue;
    if (!expected && routes[i].method == method) expected = i;
    bool dup = false;
    for (const auto& m : seen) dup = dup || m == routes[i].method;
    if (!dup) {
      seen.push_back(routes[i].method);
      if (!allowed.empty()) allowed += ", ";
      allowed += routes[i].method;
    }
  }
  if (!expected) {
    FUZZ_CHECK(match.handler == nullptr && match.pattern == nullptr);
    FUZZ_CHECK(match.allowed_methods == allowed);
    return;
  }
  FUZZ_CHECK(match.handler != nullptr && match.pattern != nullptr);
  FUZZ_CHECK(*match.pattern == routes[*expected].pattern);
  // The handler is the expected route's: each handler answers its index.
  const auto response = (*match.handler)({}, {});
  FUZZ_CHECK(response.status == static_cast<int>(200 + *expected));
  const auto params = reference_match(routes[*expected].pattern, path);
  for (const auto& [name, value] : *params) {
    // PathParams::get answers the first parameter of that name.
    for (const auto& [n, v] : *params) {
      if (n == name) {
        FUZZ_CHECK(match.params.get(name) == v);
        break;
      }
    }
  }
}

void check_pattern(std::string_view pattern, bool allow_rest, std::string_view path) {
  const auto compiled =
      latchkey::pipeline::PathPattern::compile(pattern, {.allow_rest = allow_rest});
  if (!compiled) {
    FUZZ_CHECK(compiled.error().code == latchkey::ErrorCode::kInvalidRequest);
    return;
  }
  const auto captures = compiled->match(path);
  if (!captures) return;
  FUZZ_CHECK(captures->size() == compiled->params().size());
  for (std::size_t i = 0; i < captures->size(); ++i) {
    FUZZ_CHECK((*captures)[i].first == compiled->params()[i]);
    FUZZ_CHECK(!(*captures)[i].second.empty());
    FUZZ_CHECK((*captures)[i].second.find('/') == std::string::npos);
  }
  for (std::string_view part : split(path)) FUZZ_CHECK(part != "." && part != "..");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::size_t route_count = data[0] % 8;
  std::string_view rest = latchkey::fuzz::as_text(data + 1, size - 1);
  std::vector<std::string_view> lines;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }

  std::vector<RouteLine> routes;
  Router router;
  for (std::size_t i = 0; i < lines.size() && routes.size() < route_count; ++i) {
    const std::size_t space = lines[i].find(' ');
    RouteLine route{std::string(lines[i].substr(0, space)),
                    space == std::string_view::npos ? "" : std::string(lines[i].substr(space + 1))};
    const int status = static_cast<int>(200 + routes.size());
    router.add(route.method, route.pattern, latchkey::http::Dispatch::kInline,
               [status](const latchkey::http::Request&, const latchkey::http::PathParams&) {
                 latchkey::http::Response r;
                 r.status = status;
                 return r;
               });
    routes.push_back(std::move(route));
  }
  for (std::size_t i = routes.size(); i < lines.size(); ++i) {
    const std::string_view path = lines[i];
    check_router(routes, router, "GET", path);
    for (const auto& route : routes) {
      check_router(routes, router, route.method, path);
      check_pattern(route.pattern, (data[0] & 0x80) != 0, path);
    }
  }
  return 0;
}
