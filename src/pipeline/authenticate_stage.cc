#include <algorithm>
#include <string>

#include "core/redaction.h"
#include "core/secret.h"
#include "http/error_response.h"
#include "pipeline/credentials.h"
#include "pipeline/origin_check.h"
#include "pipeline/refusals.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

// The caller's credential, verified once per request; the principal (or
// client) is then on the exchange for every later stage and the handler.
// A verifier that fails (store down) answers its 503 or 500: never a pass.
class AuthenticateStage final : public Stage {
 public:
  explicit AuthenticateStage(const Services& services) : services_(services) {}

  std::optional<http::Response> on_request(Exchange& ex) const override {
    const http::Request& request = ex.request();
    switch (ex.requirement().credential) {
      case Credential::kBearer: {
        // Requests with an Authorization header never use the cookie.
        if (ex.requirement().session_cookie && !request.header("Authorization")) {
          const std::vector<std::string_view> cookies =
              cookie_values(request.header("Cookie"), services_.console.cookie_name());
          if (!cookies.empty()) return authenticate_session(ex, cookies);
        }
        auto token = parse_bearer_authorization(request.header("Authorization"));
        if (!token) return refuse(ex, token.error());
        ex.audit_credential = "token " + mask_secret(*token);
        auto principal = services_.bearer.verify(*token);
        if (!principal) return refuse(ex, principal.error());
        if (*principal == nullptr) {  // a verifier bug must not pass
          return refuse(ex, Error::invalid_token("unverified", "the token could not be verified"));
        }
        ex.principal = std::move(*principal);
        // Origin restriction (docs/origin-restrictions.md), at every use of
        // the token; the refusal's audit record names the verified caller.
        if (auto refused =
                origin_refusal(ex.principal->origins, request.remote_ip, OriginSubject::kToken)) {
          return refuse_origin(ex, *refused);
        }
        return std::nullopt;
      }
      case Credential::kClientSecret: {
        auto basic = parse_basic_authorization(request.header("Authorization"));
        if (!basic) return refuse(ex, basic.error());
        // Not verified yet, shown to administrators: sanitised (a secret
        // pasted as the username is not recorded).
        ex.audit_credential = "client " + sanitize_for_display(basic->client_id);
        auto client = services_.clients.verify(basic->client_id, basic->client_secret);
        if (!client) return refuse(ex, client.error());
        ex.client = std::move(*client);
        // Origin restriction at issuance: the user's list binds their
        // Client ID + Secret.
        if (!ex.client->user.allowed_origins.empty()) {
          if (auto refused = origin_refusal(OriginRestriction::of(ex.client->user.allowed_origins),
                                            request.remote_ip, OriginSubject::kClient)) {
            return refuse_origin(ex, *refused);
          }
        }
        return std::nullopt;
      }
      case Credential::kApiKey:
        // The handler exchanges the key (and says why a bad one is refused);
        // the key limits stage counts it.
        if (!ex.presented_api_key().empty()) {
          ex.audit_credential = "key " + mask_secret(ex.presented_api_key());
          // Origin restriction at issuance: the key's list binds the key
          // itself. A key that does not verify is the handler's 401.
          auto key = services_.api_keys.verify(ex.presented_api_key());
          if (key && !key->allowed_origins.empty()) {
            if (auto refused = origin_refusal(OriginRestriction::of(key->allowed_origins),
                                              request.remote_ip, OriginSubject::kApiKey)) {
              return refuse_origin(ex, *refused);
            }
          }
        }
        return std::nullopt;
      case Credential::kNone:
      case Credential::kOAuthClient:
        return std::nullopt;
    }
    return std::nullopt;
  }

 private:
  // The web console's session (docs/console.md): the person, with CSRF and
  // Origin checks for anything but a read.
  // The first kMaxSessionCookiesTried distinct cookies of the session's
  // name are tried and the first that verifies wins, so a planted cookie
  // that does not verify cannot shadow ours (a planted VALID session still
  // can on plain http: only the __Host- name on https rules that out). The
  // bound keeps a header stuffed with cookies from costing a store read
  // each.
  std::optional<http::Response> authenticate_session(
      Exchange& ex, const std::vector<std::string_view>& cookies) const {
    const http::Request& request = ex.request();
    ex.audit_credential = "session";
    Result<ConsoleCaller> caller = services_.console.verify(cookies.front());
    std::string_view cookie = cookies.front();
    std::size_t tried = 1;
    for (std::size_t i = 1; !caller && i < cookies.size() && tried < kMaxSessionCookiesTried; ++i) {
      if (std::find(cookies.begin(), cookies.begin() + i, cookies[i]) != cookies.begin() + i) {
        continue;  // already tried
      }
      ++tried;
      auto next = services_.console.verify(cookies[i]);
      if (next) {
        caller = std::move(next);
        cookie = cookies[i];
      }
    }
    if (!caller) return refuse(ex, caller.error());
    if (caller->principal == nullptr) {  // a verifier bug must not pass
      return refuse(ex, Error::invalid_token("session_invalid", "no valid console session"));
    }
    ex.audit_credential = "session " + caller->session_id;
    if (auto origin = request.header("Origin")) {
      const std::string_view host = request.header("Host").value_or("");
      if (!same_origin(*origin, host, services_.console.public_origin())) {
        return refuse(ex, csrf_refused("the request comes from another origin"));
      }
    }
    if (request.method != "GET" && request.method != "HEAD") {
      const std::string_view token = request.header("X-CSRF-Token").value_or("");
      if (token.empty() || !digests_equal(caller->csrf_digest, digest_secret(token))) {
        return refuse(ex, csrf_refused("X-CSRF-Token is missing or does not match the session"));
      }
    }
    ex.console_session_id = std::move(caller->session_id);
    ex.console_cookie = std::string(cookie);
    ex.principal = std::move(caller->principal);
    return std::nullopt;
  }

  static Error csrf_refused(std::string description) {
    return Error::forbidden(std::move(description)).with_reason("csrf_token_invalid");
  }

  // A refused origin is always audited, with the client address, even on a
  // route that records nothing of its own.
  static http::Response refuse_origin(Exchange& ex, const Error& error) {
    if (ex.requirement().audit_action.empty() && ex.audit_action.empty()) {
      ex.audit_action = "auth.origin_refused";
    }
    return refuse(ex, error);
  }

  static http::Response refuse(Exchange& ex, const Error& error) {
    ex.refusal_reason =
        error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
    // A verified token of a deactivated or expired key names its key: the
    // refusal counts in that key's usage (docs/key-usage.md).
    for (const auto& [name, value] : error.details) {
      if (name == "key_id") ex.usage_key_id = value;
    }
    return refusal(ex.requirement().audience, error);
  }

  const Services& services_;
};

}  // namespace

std::unique_ptr<Stage> make_authenticate_stage(const Services& services) {
  return std::make_unique<AuthenticateStage>(services);
}

}  // namespace latchkey::pipeline
