#include "api/routes.h"

#include "api/account_handlers.h"
#include "api/ops_handlers.h"
#include "api/user_handlers.h"

namespace latchkey::api {

using http::Dispatch;
using http::PathParams;
using http::Request;

http::Router build_router(const ApiContext& ctx) {
  http::Router r;
  // Adapters: handlers that do not need path parameters.
  auto plain = [&ctx](http::Response (*fn)(const ApiContext&, const Request&)) {
    return [&ctx, fn](const Request& req, const PathParams&) { return fn(ctx, req); };
  };
  auto with_params =
      [&ctx](http::Response (*fn)(const ApiContext&, const Request&, const PathParams&)) {
        return [&ctx, fn](const Request& req, const PathParams& p) { return fn(ctx, req, p); };
      };

  // seed 000: account tokens. Writes wait for a durable commit: kBlocking.
  r.add("POST", "/api/v1/account/token", Dispatch::kBlocking, plain(issue_account_token));
  r.add("DELETE", "/api/v1/account/token", Dispatch::kBlocking, plain(revoke_account_token));
  // The hot path: served from the token cache.
  r.add("GET", "/api/v1/account/me", Dispatch::kInline, plain(account_me));

  // Users (admin API).
  r.add("POST", "/api/v1/users", Dispatch::kBlocking, plain(create_user));
  r.add("GET", "/api/v1/users", Dispatch::kBlocking, plain(list_users));
  r.add("GET", "/api/v1/users/{id}", Dispatch::kBlocking, with_params(get_user));
  r.add("PATCH", "/api/v1/users/{id}", Dispatch::kBlocking, with_params(update_user));
  r.add("POST", "/api/v1/users/{id}/access-key", Dispatch::kBlocking,
        with_params(reset_access_key));
  r.add("DELETE", "/api/v1/users/{id}/tokens", Dispatch::kBlocking,
        with_params(revoke_user_tokens));

  // Operations.
  r.add("GET", "/healthz", Dispatch::kInline, plain(healthz));
  r.add("GET", "/readyz", Dispatch::kBlocking, plain(readyz));
  if (ctx.test_clock != nullptr) {
    r.add("POST", "/_test/clock/advance", Dispatch::kInline, plain(advance_test_clock));
  }
  return r;
}

}  // namespace latchkey::api
