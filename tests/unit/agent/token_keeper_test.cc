#include "agent/token_keeper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <sstream>

#include "agent/sdk_issuers.h"
#include "support/fake_transport.h"
#include "temp_dir.h"

namespace latchkey::agent {
namespace {

constexpr std::int64_t kStart = 1'800'000'000;

client::ClientError refusal(int status, std::string reason,
                            std::vector<std::pair<std::string, std::string>> details = {}) {
  return client::ClientError{.kind = client::ErrorKind::kHttp,
                             .status = status,
                             .error = "invalid_token",
                             .description = "refused",
                             .reason = std::move(reason),
                             .details = std::move(details)};
}

client::ClientError superseded_by(const std::string& client_id) {
  return refusal(401, "superseded",
                 {{"superseded_at", "2027-01-15T08:00:00.000Z"},
                  {"superseded_by_client_id", client_id},
                  {"superseded_by_ip", "10.0.0.7"},
                  {"superseded_by_user_agent", "curl/7.88"}});
}

class FakeIssuer final : public Issuer {
 public:
  explicit FakeIssuer(const std::atomic<std::int64_t>& now) : now_(now) {}
  client::Result<client::Token> issue() override {
    ++calls;
    if (!failures.empty()) {
      auto error = failures.front();
      failures.pop_front();
      return std::unexpected(error);
    }
    return client::Token{"tok-" + std::to_string(calls), now_.load() + lifetime};
  }
  std::int64_t lifetime = 1000;
  int calls = 0;
  std::deque<client::ClientError> failures;

 private:
  const std::atomic<std::int64_t>& now_;
};

class FakeChecker final : public Checker {
 public:
  client::Status check(const client::Token& token) override {
    checked.push_back(token.access_token);
    if (answers.empty()) return {};
    auto answer = answers.front();
    answers.pop_front();
    if (!answer) return {};
    return std::unexpected(*answer);
  }
  client::Result<std::string> owner(const client::Token& token) override {
    if (auto checked_ok = check(token); !checked_ok) return std::unexpected(checked_ok.error());
    return owner_id;
  }
  std::deque<std::optional<client::ClientError>> answers;  // nullopt: accepted
  std::vector<std::string> checked;
  std::string owner_id = "cli_abc";
};

class TokenKeeperTest : public ::testing::Test {
 protected:
  TokenKeeperTest() {
    policy_.check_interval_seconds = 60;
    policy_.retry_initial_seconds = 1;
    policy_.retry_max_seconds = 8;
    policy_.supersede_backoff_initial_seconds = 30;
    policy_.supersede_backoff_max_seconds = 120;
    policy_.supersede_window_seconds = 3600;
  }
  TokenKeeper& keeper() {
    if (!keeper_) {
      keeper_ = std::make_unique<TokenKeeper>(
          policy_, issuer_, checker_,
          [this](const client::Token& token) {
            published_.push_back(token.access_token);
            return 0;
          },
          [this] { return now_.load(); }, log_);
    }
    return *keeper_;
  }
  // Runs every step that is due up to `until`, moving the clock to each
  // due time (as the agent's loop would, without waiting).
  void run_until(std::int64_t until) {
    for (int i = 0; i < 1000; ++i) {
      const std::int64_t next = keeper().step();
      if (next > until) break;
      now_ = std::max(now_.load(), next);
    }
    now_ = until;
  }
  std::string logged() const { return log_text_.str(); }

  std::atomic<std::int64_t> now_{kStart};
  RefreshPolicy policy_;
  FakeIssuer issuer_{now_};
  FakeChecker checker_;
  std::vector<std::string> published_;
  std::ostringstream log_text_;
  AgentLog log_{log_text_, [this] { return now_.load(); }};
  std::unique_ptr<TokenKeeper> keeper_;
};

// Test that the first step issues a token, publishes it, checks it at once,
// and asks to be called again at the next check.
TEST_F(TokenKeeperTest, IssuesPublishesAndChecks) {
  EXPECT_EQ(keeper().step(), kStart + 60);
  EXPECT_EQ(issuer_.calls, 1);
  EXPECT_EQ(published_, std::vector<std::string>{"tok-1"});
  EXPECT_EQ(checker_.checked, std::vector<std::string>{"tok-1"});
  const KeeperStatus status = keeper().status();
  EXPECT_EQ(status.state, TokenState::kValid);
  ASSERT_TRUE(status.token.has_value());
  EXPECT_EQ(status.token->access_token, "tok-1");
  EXPECT_EQ(status.refresh_at, kStart + 800);
  EXPECT_EQ(logged().find("tok-1"), std::string::npos);  // tokens are never logged
}

// Test that the token is re-issued at 80 % of its lifetime and checked
// periodically in between, never earlier.
TEST_F(TokenKeeperTest, RefreshesAtTheConfiguredShareOfTheLifetime) {
  run_until(kStart + 799);
  EXPECT_EQ(issuer_.calls, 1);
  EXPECT_EQ(checker_.checked.size(), 1u + 13u);  // at issue, then every 60 s up to 780
  run_until(kStart + 800);
  EXPECT_EQ(issuer_.calls, 2);
  EXPECT_EQ(keeper().status().token->access_token, "tok-2");
  EXPECT_EQ(keeper().status().refresh_at, kStart + 800 + 800);
}

// Test that a superseded token is reported loudly, counted, and replaced at once.
TEST_F(TokenKeeperTest, ReissuesOnceSupersededAndSaysWhoDidIt) {
  keeper().step();
  checker_.answers = {superseded_by("cli_rogue")};
  now_ = kStart + 60;
  keeper().step();  // the check finds it superseded
  KeeperStatus status = keeper().status();
  EXPECT_EQ(status.state, TokenState::kSuperseded);
  EXPECT_FALSE(status.token.has_value());
  EXPECT_EQ(status.superseded_total, 1u);
  ASSERT_TRUE(status.last_superseded.has_value());
  EXPECT_EQ(status.last_superseded->by_client_id, "cli_rogue");
  EXPECT_NE(logged().find("ERROR TOKEN SUPERSEDED"), std::string::npos) << logged();
  EXPECT_NE(logged().find("cli_rogue from 10.0.0.7"), std::string::npos) << logged();
  EXPECT_NE(logged().find("re-issuing now"), std::string::npos) << logged();

  EXPECT_EQ(keeper().step(), kStart + 120);  // re-issued at once, no back-off the first time
  status = keeper().status();
  EXPECT_EQ(status.state, TokenState::kValid);
  EXPECT_EQ(status.token->access_token, "tok-2");
  EXPECT_EQ(published_.back(), "tok-2");
}

// Test that repeated supersedes back off (30, 60, 120, 120 s) instead of
// fighting the other issuer, and that the back-off resets after the window.
TEST_F(TokenKeeperTest, BacksOffWhenSupersededAgainAndAgain) {
  keeper().step();
  std::vector<std::int64_t> waits;
  for (int round = 0; round < 5; ++round) {
    checker_.answers = {superseded_by("cli_rogue")};
    now_ += 60;
    const int before = issuer_.calls;
    const std::int64_t detected = now_;
    const std::int64_t next = keeper().step();
    waits.push_back(next - detected);
    EXPECT_EQ(issuer_.calls, before);  // detection does not issue by itself
    if (next > detected) {
      EXPECT_EQ(keeper().step(), next);  // nothing happens before the back-off ends
      EXPECT_EQ(issuer_.calls, before);
      EXPECT_EQ(keeper().status().next_issue_at, next);
    }
    now_ = next;
    keeper().step();
    EXPECT_EQ(issuer_.calls, before + 1);
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{0, 30, 60, 120, 120}));
  EXPECT_NE(logged().find("backing off, re-issuing in 30 s"), std::string::npos);
  EXPECT_EQ(keeper().status().superseded_total, 5u);

  now_ += 3600;  // quiet for a whole window: the next supersede re-issues at once
  checker_.answers = {superseded_by("cli_rogue")};
  EXPECT_EQ(keeper().step(), now_.load());
}

// Test that a check that cannot reach the server keeps the token.
TEST_F(TokenKeeperTest, KeepsTheTokenWhileTheServerIsUnreachable) {
  keeper().step();
  checker_.answers = {client::ClientError{.kind = client::ErrorKind::kTransport,
                                          .description = "connection refused"}};
  now_ = kStart + 60;
  EXPECT_EQ(keeper().step(), kStart + 120);
  const KeeperStatus status = keeper().status();
  EXPECT_EQ(status.state, TokenState::kValid);
  EXPECT_EQ(status.token->access_token, "tok-1");
  EXPECT_TRUE(status.last_check_failed);
  EXPECT_EQ(status.check_failures_total, 1u);
  EXPECT_EQ(issuer_.calls, 1);
  EXPECT_NE(logged().find("WARN cannot check the token"), std::string::npos);
}

// Test that failed issuances retry after 1, 2, 4, 8, 8 s.
TEST_F(TokenKeeperTest, RetriesFailedIssuancesWithBackOff) {
  for (int i = 0; i < 5; ++i) {
    issuer_.failures.push_back(refusal(503, ""));
  }
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 5; ++i) {
    const std::int64_t next = keeper().step();
    waits.push_back(next - now_.load());
    now_ = next;
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{1, 2, 4, 8, 8}));
  keeper().step();
  EXPECT_EQ(keeper().status().state, TokenState::kValid);
  EXPECT_EQ(keeper().status().issue_failures_total, 5u);
}

// Test that a token refused for another reason is replaced at once, and
// that refusals in a row back off.
TEST_F(TokenKeeperTest, ReplacesARevokedToken) {
  checker_.answers = {std::nullopt, refusal(401, "revoked"), refusal(401, "revoked")};
  keeper().step();
  now_ = kStart + 60;
  EXPECT_EQ(keeper().step(), kStart + 60);  // refused: re-issue at once
  EXPECT_EQ(keeper().status().state, TokenState::kRefused);
  EXPECT_EQ(keeper().step(), kStart + 61);  // re-issued, refused again: wait 1 s
  EXPECT_EQ(issuer_.calls, 2);
  now_ = kStart + 61;
  keeper().step();
  EXPECT_EQ(issuer_.calls, 3);
  EXPECT_EQ(keeper().status().state, TokenState::kValid);
  EXPECT_EQ(keeper().status().refused_total, 2u);
}

// Test that a token that outlives every attempt to replace it stops being
// handed out at its expiry.
TEST_F(TokenKeeperTest, StopsHandingOutAnExpiredToken) {
  policy_.retry_max_seconds = 1000;
  keeper().step();
  for (int i = 0; i < 50; ++i) issuer_.failures.push_back(refusal(503, ""));
  run_until(kStart + 999);
  EXPECT_EQ(keeper().status().state, TokenState::kValid);
  run_until(kStart + 1000);
  keeper().step();
  EXPECT_EQ(keeper().status().state, TokenState::kExpired);
  EXPECT_FALSE(keeper().status().token.has_value());
  EXPECT_NE(logged().find("expired before a new one"), std::string::npos);
}

// Test that a token left by a previous run is taken over when the server
// accepts it as the configured client's, instead of superseding it.
TEST_F(TokenKeeperTest, AdoptsAValidTokenFromAPreviousRun) {
  keeper().offer_previous({"tok-previous", kStart + 10'000}, "cli_abc");
  EXPECT_EQ(keeper().step(), kStart + 60);
  EXPECT_EQ(issuer_.calls, 0);
  EXPECT_EQ(published_, std::vector<std::string>{"tok-previous"});
  EXPECT_EQ(keeper().status().token->access_token, "tok-previous");
  EXPECT_EQ(keeper().status().refresh_at, kStart + 8000);
  EXPECT_NE(logged().find("no new issuance"), std::string::npos);
}

// Test that a previous token is not taken over when it belongs to another
// client, is refused, or is about to expire: a new one is issued.
TEST_F(TokenKeeperTest, DoesNotAdoptAForeignRefusedOrExpiringToken) {
  keeper().offer_previous({"tok-x", kStart + 10'000}, "cli_other");
  keeper().step();
  EXPECT_EQ(issuer_.calls, 1);
  EXPECT_EQ(keeper().status().token->access_token, "tok-1");
  EXPECT_NE(logged().find("it belongs to another client"), std::string::npos);

  checker_.answers = {superseded_by("cli_abc")};
  TokenKeeper refused(
      policy_, issuer_, checker_, nullptr, [this] { return now_.load(); }, log_);
  refused.offer_previous({"tok-x", kStart + 10'000}, "cli_abc");
  refused.step();
  EXPECT_EQ(issuer_.calls, 2);

  TokenKeeper expiring(
      policy_, issuer_, checker_, nullptr, [this] { return now_.load(); }, log_);
  expiring.offer_previous({"tok-x", kStart + 30}, "cli_abc");
  expiring.step();
  EXPECT_EQ(issuer_.calls, 3);
  EXPECT_EQ(published_, std::vector<std::string>{"tok-1"});
}

// Test that while the server cannot be reached, the previous token is
// checked again later instead of being superseded by a new issuance.
TEST_F(TokenKeeperTest, RetriesAdoptionWhileTheServerIsUnreachable) {
  checker_.answers = {client::ClientError{.kind = client::ErrorKind::kTransport,
                                          .description = "connection refused"},
                      client::ClientError{.kind = client::ErrorKind::kTransport,
                                          .description = "connection refused"}};
  keeper().offer_previous({"tok-previous", kStart + 10'000}, "cli_abc");
  EXPECT_EQ(keeper().step(), kStart + 1);
  now_ = kStart + 1;
  EXPECT_EQ(keeper().step(), kStart + 3);
  EXPECT_EQ(keeper().status().state, TokenState::kNone);
  now_ = kStart + 3;
  keeper().step();
  EXPECT_EQ(issuer_.calls, 0);
  EXPECT_EQ(keeper().status().token->access_token, "tok-previous");
  EXPECT_EQ(keeper().status().check_failures_total, 2u);
  EXPECT_NE(logged().find("rather than issuing a new token"), std::string::npos);
}

// Test the SDK-based issuer and checker against a scripted server: the
// supersede reason and details are read from the server's documented 401
// body, and the secret file is re-read before each issuance.
TEST(SdkIssuersTest, DetectsASupersedeFromTheServersAnswer) {
  testing::TempDir dir;
  const std::string secret_file = dir.write("secret", "first-secret\n", 0600);
  std::string current = "none";
  int issued = 0;
  std::vector<std::string> authorizations;
  auto transport = std::make_shared<
      testing::FakeTransport>([&](const client::HttpRequest& request)
                                  -> client::Result<client::HttpResponse> {
    if (request.url.ends_with("/api/v1/account/token")) {
      authorizations.push_back(testing::authorization_of(request));
      current = "tok-" + std::to_string(++issued);
      return testing::FakeTransport::json(
          200, "{\"access_token\":\"" + current +
                   "\",\"token_type\":\"bearer\",\"expires_in\":100,\"scope\":\"read write\"}");
    }
    if (testing::authorization_of(request) == "Bearer " + current) {
      return testing::FakeTransport::json(200, "{\"id\":\"usr_1\"}");
    }
    return testing::FakeTransport::json(
        401,
        "{\"error\":\"invalid_token\",\"error_description\":\"the access token was superseded\","
        "\"reason\":\"superseded\",\"superseded_at\":\"2027-01-15T08:00:00.000Z\","
        "\"superseded_by_client_id\":\"cli_other\",\"superseded_by_ip\":\"10.1.2.3\","
        "\"superseded_by_user_agent\":\"curl/7.88\"}");
  });
  const GetEnv no_env = [](const std::string&) { return std::nullopt; };
  AccountIssuer issuer("http://127.0.0.1:1", "cli_abc",
                       SecretSource{SecretSource::From::kFile, secret_file}, no_env, transport,
                       [] { return kStart; });
  MeChecker checker("http://127.0.0.1:1", transport);

  auto first = issuer.issue();
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->expires_at_unix, kStart + 100);
  EXPECT_TRUE(checker.check(*first).has_value());

  dir.write("secret", "rotated-secret\n", 0600);
  auto second = issuer.issue();  // someone else's issuance, as far as `first` is concerned
  ASSERT_TRUE(second.has_value());
  auto checked = checker.check(*first);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().status, 401);
  EXPECT_EQ(checked.error().reason, "superseded");
  bool named = false;
  for (const auto& [key, value] : checked.error().details) {
    named |= key == "superseded_by_client_id" && value == "cli_other";
  }
  EXPECT_TRUE(named);
  ASSERT_EQ(authorizations.size(), 2u);
  EXPECT_NE(authorizations[0], authorizations[1]);  // the rotated secret was used
  EXPECT_EQ(transport->count("GET", "/api/v1/account/me"), 2u);
}

}  // namespace
}  // namespace latchkey::agent
