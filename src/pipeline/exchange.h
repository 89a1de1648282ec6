// Exchange: one request on its way through the pipeline (chain.h): the
// request, what the stages learned about it (the caller, its limits, the
// decision), what they hold until the answer is sent, and the audit note
// that becomes the exchange's one audit record.
//
// Thread-safety: an Exchange belongs to one request and is used by one
// thread at a time (the stages and the handler run one after the other).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts/client_authenticator.h"
#include "accounts/principal.h"
#include "audit/audit_event.h"
#include "core/error.h"
#include "http/message.h"
#include "http/router.h"
#include "limits/rate_limiter.h"
#include "policy/decision.h"

namespace latchkey::pipeline {

struct Requirement;

// The seed-001 decision the decide stage took (requirement.h `decision`).
struct TakenDecision {
  bool authenticated_only = false;   // no permission check, only the token
  policy::DecisionRequest resolved;  // application and steps as ids
  std::string application_name;
};

class Exchange {
 public:
  Exchange(const Requirement& requirement, const http::Request& request,
           const http::PathParams& params)
      : requirement_(requirement), request_(request), params_(params) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const Requirement& requirement() const { return requirement_; }
  const http::Request& request() const { return request_; }
  const http::PathParams& params() const { return params_; }

  // --- set by the stages --------------------------------------------------------------
  // The verified caller (Credential::kBearer); null for other credentials.
  std::shared_ptr<const Principal> principal;
  // The web console session that authenticated the request (its public id
  // "ses_..."); empty for every other credential.
  std::string console_session_id;
  // That session's cookie secret (of the cookie that verified, when several
  // were sent). A secret: never logged or echoed.
  std::string console_cookie;
  // The Basic client (Credential::kClientSecret).
  std::optional<AuthenticatedClient> client;
  // The "api_key" of an exchange body (Credential::kApiKey), parsed once; a
  // secret, never logged or echoed. Empty when the body has none.
  const std::string& presented_api_key();
  // The throttle identity whose attempt is in progress (throttle stage).
  std::string throttle_id;
  bool throttle_began = false;
  // The API key this exchange is attributable to when no key-derived
  // principal says so: the key an exchange presented (set by the key limits
  // stage once the key is identified, even when it is then refused, e.g.
  // deactivated). Usage per key counts it (docs/key-usage.md).
  std::string usage_key_id;
  // The key's rate-limit state when the caller is key-limited.
  std::optional<limits::RateLimitState> rate;
  // The decision taken before the handler (requirement `decision`).
  std::optional<TakenDecision> decision;
  // What the stages hold until the exchange is over (concurrency slots).
  // Released when the response is sent, or, for a streamed response, when
  // its body ends (take_holds()).
  std::vector<std::shared_ptr<void>> holds;
  std::vector<std::shared_ptr<void>> take_holds() { return std::move(holds); }

  // --- the audit note ---------------------------------------------------------------
  // The one audit record of this exchange, written by the audit stage when
  // the answer leaves: the event a handler noted (note()), or else one built
  // from the requirement's audit action, the caller and the status.
  void note(AuditEvent event) { noted_ = std::move(event); }
  std::optional<AuditEvent>& noted() { return noted_; }
  // A handler that wrote its record durably before applying an admin change
  // (write-ahead) says so: the stage then writes only a later failure note.
  void mark_recorded_durably() { recorded_durably_ = true; }
  bool recorded_durably() const { return recorded_durably_; }
  // Set by a handler that passed the request on (the gateway): the audit
  // decision is allow whatever the upstream answers.
  bool passed_on = false;
  // Set by the stage that refused the request: the audit reason, and the
  // action and resource when they are known before the handler.
  std::string refusal_reason;
  std::string audit_action;      // overrides the requirement's
  std::string audit_resource;    // overrides the requirement's
  std::string audit_credential;  // masked credential when no principal is known

 private:
  const Requirement& requirement_;
  const http::Request& request_;
  const http::PathParams& params_;
  std::optional<std::string> api_key_;
  std::optional<AuditEvent> noted_;
  bool recorded_durably_ = false;
};

// Who the caller proved to be, without the secret: "key ••••a1B9" or
// "client cli_…".
std::string credential_of(const Principal& principal);

// The request's part of an audit event: client IP, User-Agent and
// X-Integration (seed 001: "attribute each API call to a single
// integration").
void add_request_fields(AuditEvent& event, const http::Request& request);

}  // namespace latchkey::pipeline
