// The routing table: method + path pattern -> handler. Patterns are literal
// segments and named parameters: "/api/v1/users/{id}/access-key". A last
// segment "{name+}" takes the rest of the path, one or more segments, '/'
// included ("/v1/ext-authz/{path+}": Envoy's ext_authz prefixes the original
// path). The whole API surface is assembled in one place (api/routes.cc).
//
// Matching: the first route added that matches the method and the path
// wins, as if every route were tried in order; a literal segment has no
// priority of its own over a {param} (add the literal route first). Lookup
// does not try every route: routes are indexed in a trie over their path
// segments, so a match costs the path's depth, not the table's size.
//
// Thread-safety: build the router before serving; match() is then const and
// safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

class Executor;  // http/executor.h: the connection's Asio executor

// How an asynchronous handler answers (gateway: after an upstream call).
// Implemented by the server's session (http/internal/session.cc).
class Responder {
 public:
  virtual ~Responder() = default;
  // Sends the response. Call exactly once, from any thread; later calls and
  // calls after the client has gone are ignored.
  virtual void respond(Response response) = 0;
  // Runs `on_gone` on the connection's I/O thread if the client disconnects
  // (or the server force-closes the connection) before respond(). Set it at
  // most once, before any asynchronous work; never called after respond().
  virtual void on_client_gone(std::function<void()> on_gone) = 0;
  // The connection's single-threaded executor: asynchronous I/O started on
  // it runs on the same thread as the session, with no locking.
  virtual const Executor& executor() const = 0;
};

// Runs on the connection's I/O thread; must not block. It owns the request.
using AsyncHandler =
    std::function<void(Request request, PathParams params, std::shared_ptr<Responder> responder)>;

// Where the server runs a handler. kInline: on the I/O thread (must not block:
// memory-only work, or store reads that are answered from cache or a quick
// indexed read). kBlocking: on the blocking pool (store writes wait for a
// durable group commit). kAsync: the handler starts asynchronous work on the
// connection's thread and answers through a Responder (Router::add_async()).
enum class Dispatch { kInline, kBlocking, kAsync };

class Router {
 public:
  void add(std::string method, std::string pattern, Dispatch dispatch, Handler handler);
  void add_async(std::string method, std::string pattern, AsyncHandler handler);

  struct Match {
    const Handler* handler = nullptr;             // null: no route (or an async one)
    const AsyncHandler* async_handler = nullptr;  // set for Dispatch::kAsync
    Dispatch dispatch = Dispatch::kInline;
    const std::string* pattern = nullptr;  // the matched route's pattern, for metrics
    PathParams params;
    // Set when the path exists with other methods only: each method once, in
    // the order its first matching route was added ("GET, POST").
    std::string allowed_methods;
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
    AsyncHandler async_handler;
  };
  // A trie node: one level of path segments.
  struct Node {
    // Literal segment -> child node, sorted by segment.
    std::vector<std::pair<std::string, std::uint32_t>> literals;
    std::uint32_t param = kNoNode;      // child for a {param} segment
    std::uint32_t rest = kNoNode;       // child for a last {name+} segment
    std::vector<std::uint32_t> routes;  // routes whose pattern ends here, in the order added
  };
  static constexpr std::uint32_t kNoNode = UINT32_MAX;

  void add_route(Route route);
  template <class Visit>
  void walk(std::uint32_t node, std::string_view rest, Visit& visit) const;

  std::vector<Route> routes_;
  std::vector<Node> nodes_ = std::vector<Node>(1);  // nodes_[0]: the root ("/")
};

}  // namespace latchkey::http
