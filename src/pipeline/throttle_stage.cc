#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/secret.h"
#include "limits/limits.h"
#include "pipeline/credentials.h"
#include "pipeline/origin_check.h"
#include "pipeline/refusals.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

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

// Who a console sign-in is throttled as: the body's "username" (bounded;
// a person's name is not a secret) AT the source address; empty when there
// is none (throttled by IP only, e.g. accepting an invitation). Per address:
// a count shared by every address would let anyone lock the well-known
// "admin" out by guessing from elsewhere (the per-IP count still bounds one
// address's guesses over all usernames).
std::string throttle_id_of_username(const std::string& body, std::string_view ip) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return {};
  auto it = json.find("username");
  if (it == json.end() || !it->is_string()) return {};
  std::string name = it->get<std::string>();
  if (name.empty() || name.size() > 128) return {};
  return "user:" + name + "@" + std::string(ip);
}

// Credential stuffing (limits/auth_throttle.h): the attempt is admitted
// atomically with the check, so parallel guesses cannot all slip in; on the
// way out a 401 counts as a failure (and, on the console's routes, a 404
// too: an unknown or used invitation token is a wrong guess), a 2xx clears,
// anything else refunds (the secret was not judged, or it was right and
// another limit refused).
class ThrottleStage final : public Stage {
 public:
  explicit ThrottleStage(const Services& services) : services_(services) {}

  std::optional<http::Response> on_request(Exchange& ex) const override {
    limits::AuthThrottle* throttle = services_.limits.auth_throttle.get();
    if (throttle == nullptr) return std::nullopt;
    const http::Request& request = ex.request();
    if (ex.requirement().throttle == Throttle::kApiKey) {
      ex.throttle_id = throttle_id_of_key(ex.presented_api_key());
    } else if (ex.requirement().throttle == Throttle::kConsole) {
      ex.throttle_id = throttle_id_of_username(request.body, request.remote_ip);
    } else {
      // Unparseable credentials are throttled by source IP only.
      auto basic = parse_basic_authorization(request.header("Authorization"));
      if (basic) ex.throttle_id = basic->client_id;
    }
    if (auto wait = throttle->begin_attempt(ex.throttle_id, request.remote_ip); wait.count() > 0) {
      limits::count_rejection("auth_throttle");
      ex.refusal_reason = "too_many_attempts";
      return refusal(ex.requirement().audience, too_many_attempts(wait), "too_many_attempts");
    }
    ex.throttle_began = true;
    return std::nullopt;
  }

  void on_response(Exchange& ex, http::Response& response) const override {
    if (!ex.throttle_began) return;
    ex.throttle_began = false;
    limits::AuthThrottle& throttle = *services_.limits.auth_throttle;
    const std::string& ip = ex.request().remote_ip;
    if (response.status >= 200 && response.status < 300) {
      throttle.succeeded(ex.throttle_id, ip);
    } else if (ex.refusal_reason == kOriginNotAllowed) {
      // The credential was right, the address is not allowed: not a guess
      // (docs/origin-restrictions.md).
      throttle.refund(ex.throttle_id, ip);
    } else if (response.status == 401 ||
               (response.status == 404 && ex.requirement().throttle == Throttle::kConsole)) {
      throttle.failed(ex.throttle_id, ip);
    } else {
      throttle.refund(ex.throttle_id, ip);
    }
  }

 private:
  const Services& services_;
};

}  // namespace

std::unique_ptr<Stage> make_throttle_stage(const Services& services) {
  return std::make_unique<ThrottleStage>(services);
}

}  // namespace latchkey::pipeline
