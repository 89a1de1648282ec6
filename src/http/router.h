// The routing table: method + path pattern -> handler. Patterns are literal
// segments and named parameters: "/api/v1/users/{id}/access-key". The whole
// API surface is assembled in one place (api/routes.cc).
//
// Thread-safety: build the router before serving; match() is then const and
// safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace latchkey::http {

class PathParams {
 public:
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // The value of a named parameter, or empty when absent.
  std::string_view get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Handler = std::function<Response(const Request&, const PathParams&)>;

// Where the server runs a handler. kInline: on the I/O thread (must not block:
// memory-only work, or store reads that are answered from cache or a quick
// indexed read). kBlocking: on the blocking pool (store writes wait for a
// durable group commit).
enum class Dispatch { kInline, kBlocking };

class Router {
 public:
  void add(std::string method, std::string pattern, Dispatch dispatch, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    Dispatch dispatch = Dispatch::kInline;
    PathParams params;
    std::string allowed_methods;  // set when the path exists with other methods ("GET, POST")
  };
  Match match(std::string_view method, std::string_view path) const;

  // Every route, "METHOD pattern", for documentation checks.
  std::vector<std::string> describe() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Dispatch dispatch;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace latchkey::http
