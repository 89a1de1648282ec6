#include "api/rate_limit.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "api/credentials.h"
#include "core/secret.h"
#include "http/error_response.h"
#include "keys/key_service.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {
namespace {

// A 429 whose "error" names the limit: error_response() lets a detail
// override the generic "too_many_requests".
http::Response refusal(std::string_view error, std::string description,
                       std::chrono::seconds retry_after) {
  http::Response r =
      http::error_response(Error{ErrorCode::kTooManyRequests, std::move(description)}.with_detail(
          "error", std::string(error)));
  r.set_header("Retry-After", std::to_string(std::max<std::int64_t>(retry_after.count(), 1)));
  return r;
}

bool is_success(int status) { return status >= 200 && status < 300; }

// Who an API-key exchange is throttled as: the presented key, by a prefix
// of its digest (the key itself is a secret and the key id is unknown for
// an unknown key); empty for a malformed key (throttled by IP only).
std::string throttle_id_of_key(std::string_view api_key) {
  if (!is_well_formed_secret(api_key, SecretKind::kApiKey)) return {};
  const Digest digest = digest_secret(api_key);
  std::string id = "key:";
  char hex[3];
  for (std::size_t i = 0; i < 12; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    id += hex;
  }
  return id;
}

// The "api_key" of an exchange body, or empty when the body has none (the
// handler then answers 400 itself).
std::string api_key_of(const http::Request& request) {
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return {};
  auto it = body.find("api_key");
  if (it == body.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::optional<limits::KeyLimits> key_limits_of(const ApiContext& ctx, const Principal& principal) {
  if (!principal.key) return std::nullopt;
  if (ctx.limits == nullptr || ctx.limits->policy == nullptr) return limits::KeyLimits{};
  return ctx.limits->policy->for_key(principal.key->key_id, principal.key->role_id);
}

std::optional<limits::RateLimitState> admit_key_request(const ApiContext& ctx,
                                                        std::string_view key_id,
                                                        std::string_view role_id) {
  if (ctx.limits == nullptr || ctx.limits->rate == nullptr) return std::nullopt;
  const limits::KeyLimits limits = ctx.limits->policy != nullptr
                                       ? ctx.limits->policy->for_key(key_id, role_id)
                                       : limits::KeyLimits{};
  if (limits.requests_per_minute <= 0) return std::nullopt;  // unlimited
  limits::RateLimitState state = ctx.limits->rate->admit(key_id, limits.requests_per_minute);
  if (!state.admitted) limits::count_rejection("rate");
  return state;
}

std::optional<limits::RateLimitState> admit_key_request(const ApiContext& ctx,
                                                        const Principal& principal) {
  if (!principal.key) return std::nullopt;
  return admit_key_request(ctx, principal.key->key_id, principal.key->role_id);
}

void add_rate_limit_headers(http::Response& response, const limits::RateLimitState& state) {
  response.set_header("RateLimit-Limit", std::to_string(state.limit));
  response.set_header("RateLimit-Remaining", std::to_string(state.remaining));
  response.set_header("RateLimit-Reset", std::to_string(state.reset.count()));
}

http::Response too_many_requests(const limits::RateLimitState& state) {
  http::Response r = refusal("rate_limited",
                             "rate limit exceeded: at most " + std::to_string(state.limit) +
                                 " requests per minute for this API key",
                             state.retry_after);
  add_rate_limit_headers(r, state);
  return r;
}

http::Response too_many_concurrent(int limit) {
  return refusal("concurrency_limited",
                 "concurrency limit exceeded: at most " + std::to_string(limit) +
                     " requests in flight per API key on this route",
                 std::chrono::seconds(1));
}

http::Response too_many_attempts(std::chrono::seconds retry_after) {
  return refusal("too_many_attempts",
                 "too many failed authentication attempts; retry after " +
                     std::to_string(std::max<std::int64_t>(retry_after.count(), 1)) + " s",
                 retry_after);
}

http::Handler limit_key_requests(const ApiContext& ctx, http::Handler handler) {
  if (ctx.limits == nullptr || ctx.jwts == nullptr) return handler;
  return [&ctx, handler = std::move(handler)](const http::Request& request,
                                              const http::PathParams& params) {
    // Account tokens (lk_at_…) are never key-derived: they pay for this
    // header scan only, not for a JWT verification or a limiter lookup.
    // Measured: ~70 ns per account-token request, most of it the header
    // lookup; the full Bearer parse only runs for dotted (JWT-like) values.
    const auto authorization = request.header("Authorization");
    if (!authorization || authorization->find('.') == std::string_view::npos) {
      return handler(request, params);
    }
    auto token = parse_bearer_authorization(authorization);
    if (!token || !JwtService::looks_like_jwt(*token)) return handler(request, params);
    // From the verified-token cache; the handler's own authentication is
    // then a second cache hit. A token that does not authenticate is the
    // handler's 401 to give.
    auto principal = ctx.jwts->authenticate(*token);
    if (!principal) return handler(request, params);
    auto state = admit_key_request(ctx, **principal);
    if (!state) return handler(request, params);
    if (!state->admitted) return too_many_requests(*state);
    http::Response response = handler(request, params);
    add_rate_limit_headers(response, *state);
    return response;
  };
}

http::Handler throttle_client_credentials(const ApiContext& ctx, http::Handler handler) {
  if (ctx.limits == nullptr || ctx.limits->auth_throttle == nullptr) return handler;
  return [&ctx, handler = std::move(handler)](const http::Request& request,
                                              const http::PathParams& params) {
    limits::AuthThrottle& throttle = *ctx.limits->auth_throttle;
    auto basic = parse_basic_authorization(request.header("Authorization"));
    // Unparseable credentials are throttled by source IP only.
    const std::string client_id = basic ? basic->client_id : std::string();
    // Admitted atomically with the check (parallel guesses cannot all slip
    // in); a 401 is a failure, a success clears, anything else refunds.
    if (auto wait = throttle.begin_attempt(client_id, request.remote_ip); wait.count() > 0) {
      limits::count_rejection("auth_throttle");
      return too_many_attempts(wait);
    }
    http::Response response = handler(request, params);
    if (is_success(response.status)) {
      throttle.succeeded(client_id, request.remote_ip);
    } else if (response.status == 401) {
      throttle.failed(client_id, request.remote_ip);
    } else {
      throttle.refund(client_id, request.remote_ip);
    }
    return response;
  };
}

http::Handler limit_api_key_exchange(const ApiContext& ctx, http::Handler handler) {
  if (ctx.limits == nullptr) return handler;
  return [&ctx, handler = std::move(handler)](const http::Request& request,
                                              const http::PathParams& params) {
    const std::string api_key = api_key_of(request);
    const std::string throttle_id = throttle_id_of_key(api_key);
    limits::AuthThrottle* throttle = ctx.limits->auth_throttle.get();
    if (throttle != nullptr) {
      // Admitted atomically with the check (see throttle_client_credentials).
      if (auto wait = throttle->begin_attempt(throttle_id, request.remote_ip); wait.count() > 0) {
        limits::count_rejection("auth_throttle");
        return too_many_attempts(wait);
      }
    }
    // An active key's exchange counts against its own rate limit.
    std::optional<limits::RateLimitState> state;
    if (ctx.keys != nullptr && !throttle_id.empty()) {
      if (auto key = ctx.keys->authenticate(api_key)) {
        state = admit_key_request(ctx, key->id, key->role_id);
        if (state && !state->admitted) {
          // The key was right: not a guess.
          if (throttle != nullptr) throttle->refund(throttle_id, request.remote_ip);
          return too_many_requests(*state);
        }
      }
    }
    http::Response response = handler(request, params);
    if (throttle != nullptr) {
      if (is_success(response.status)) {
        throttle->succeeded(throttle_id, request.remote_ip);
      } else if (response.status == 401) {
        throttle->failed(throttle_id, request.remote_ip);
      } else {
        throttle->refund(throttle_id, request.remote_ip);
      }
    }
    if (state) add_rate_limit_headers(response, *state);
    return response;
  };
}

}  // namespace latchkey::api
