#include "cli/cli.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <tuple>

#include "cli/global_options.h"
#include "unit/client/fake_account_server.h"

namespace latchkey::cli {
namespace {

namespace fs = std::filesystem;
using testing::FakeAccountServer;
using testing::FakeTransport;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "latchkey-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    home_ = pattern;
    env_vars_ = {{"HOME", home_.string()},
                 {"LATCHKEY_URL", testing::kBaseUrl},
                 {"LATCHKEY_CLIENT_ID", testing::kClientId},
                 {"LATCHKEY_CLIENT_SECRET", testing::kClientSecret}};
  }
  void TearDown() override { fs::remove_all(home_); }

  CliEnvironment environment() {
    return CliEnvironment{
        .getenv = [this](const std::string& name) -> std::optional<std::string> {
          auto it = env_vars_.find(name);
          if (it == env_vars_.end()) return std::nullopt;
          return it->second;
        },
        .make_transport =
            [this](const client::TransportOptions& options) -> std::shared_ptr<client::Transport> {
          last_transport_options_ = options;
          return transport_ ? transport_ : server_.transport();
        },
        .clock = [this] { return now_; },
    };
  }

  int run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return run_cli(args, environment(), out_, err_);
  }

  fs::path cache_file() const {
    return home_ / ".cache" / "latchkey" / (std::string("token-") + testing::kClientId + ".json");
  }

  FakeAccountServer server_;
  std::shared_ptr<FakeTransport> transport_;  // overrides server_ when set
  std::map<std::string, std::string> env_vars_;
  client::TransportOptions last_transport_options_;
  std::int64_t now_ = 1'795'000'000;
  fs::path home_;
  std::ostringstream out_;
  std::ostringstream err_;
};

// Test that `latchkey token` prints a verified token, caches it under
// ~/.cache/latchkey with mode 0600, and a second run reuses it (one POST).
TEST_F(CliTest, TokenIsCachedAndReusedAcrossRuns) {
  ASSERT_EQ(run({"token"}), kExitOk) << err_.str();
  const std::string token = server_.current_token();
  EXPECT_EQ(out_.str(), token + "\n");
  ASSERT_TRUE(fs::exists(cache_file()));
  struct stat st {};
  ASSERT_EQ(::stat(cache_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_EQ(run({"token"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), token + "\n");
  EXPECT_EQ(server_.token_posts(), 1u);
  EXPECT_EQ(server_.me_gets(), 2u);
}

// Test that `latchkey token --new` regenerates even with a valid cached token.
TEST_F(CliTest, TokenNewRegenerates) {
  ASSERT_EQ(run({"token"}), kExitOk);
  const std::string first = out_.str();
  ASSERT_EQ(run({"token", "--new"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str(), first);
  EXPECT_EQ(out_.str(), server_.current_token() + "\n");
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that a superseded cached token is regenerated once and re-verified.
TEST_F(CliTest, TokenRecoversFromSupersededCache) {
  ASSERT_EQ(run({"token"}), kExitOk);
  server_.rival_regenerates_now();
  ASSERT_EQ(run({"token"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), server_.current_token() + "\n");
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that a persistent 401 fails loudly with exit code 1 after exactly
// two exchanges.
TEST_F(CliTest, TokenFailsLoudOnPersistent401) {
  server_.set_rival_regenerates_after_each_issue(true);
  EXPECT_EQ(run({"token"}), kExitRefused);
  EXPECT_TRUE(out_.str().empty());
  EXPECT_NE(err_.str().find("another process is probably regenerating"), std::string::npos)
      << err_.str();
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that `latchkey token revoke` sends DELETE and clears the cache file.
TEST_F(CliTest, TokenRevokeDeletesAndClearsCache) {
  ASSERT_EQ(run({"token"}), kExitOk);
  ASSERT_TRUE(fs::exists(cache_file()));
  ASSERT_EQ(run({"token", "revoke"}), kExitOk) << err_.str();
  EXPECT_EQ(server_.transport()->count("DELETE", "/api/v1/account/token"), 1u);
  EXPECT_FALSE(fs::exists(cache_file()));
  EXPECT_NE(out_.str().find("\"revoked\": true"), std::string::npos);
}

// Test that missing credentials are a usage error (exit 2) without any request.
TEST_F(CliTest, MissingCredentialsAreAUsageError) {
  env_vars_.erase("LATCHKEY_CLIENT_SECRET");
  EXPECT_EQ(run({"me"}), kExitUsage);
  EXPECT_NE(err_.str().find("no credentials"), std::string::npos);
  EXPECT_TRUE(server_.transport()->requests().empty());
}

// Test that --token is used directly: no exchange, and flags beat the environment.
TEST_F(CliTest, GivenTokenIsUsedWithoutExchange) {
  ASSERT_EQ(run({"token"}), kExitOk);
  const std::string token = server_.current_token();
  env_vars_["LATCHKEY_TOKEN"] = "lk_at_stale0000000000";
  ASSERT_EQ(run({"me", "--token", token}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("\"risk-sync\""), std::string::npos);
  EXPECT_EQ(server_.token_posts(), 1u);
  // The stale one from the environment is refused and cannot be regenerated.
  EXPECT_EQ(run({"me"}), kExitRefused);
  EXPECT_EQ(server_.token_posts(), 1u);
}

// Test that admin commands send the documented requests.
TEST_F(CliTest, UserCommandsSendDocumentedRequests) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_admin0000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(200, R"({"id":"usr_1"})");
  });
  struct Case {
    std::vector<std::string> args;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {{"users", "create", "risk-sync", "--type", "service", "--api-access"},
       "POST",
       "/api/v1/users",
       R"({"api_access":true,"name":"risk-sync","type":"service"})"},
      {{"users", "create", "alice", "--type", "human"},
       "POST",
       "/api/v1/users",
       R"({"api_access":false,"name":"alice","type":"human"})"},
      {{"users", "create", "etl", "--type", "service", "--owner", "Team Data", "--contact",
        "data@example.com", "--description", "nightly", "--expires", "2027-03-01"},
       "POST",
       "/api/v1/users",
       R"({"api_access":false,"contact":"data@example.com","description":"nightly",)"
       R"("expires_at":"2027-03-01T00:00:00Z","name":"etl","owner":"Team Data","type":"service"})"},
      {{"users", "update", "usr_1", "--owner", "Team B", "--expires", "2027-03-01T12:00:00Z"},
       "PATCH",
       "/api/v1/users/usr_1",
       R"({"expires_at":"2027-03-01T12:00:00Z","owner":"Team B"})"},
      {{"users", "update", "usr_1", "--no-expiry"},
       "PATCH",
       "/api/v1/users/usr_1",
       R"({"expires_at":null})"},
      {{"keys", "rotation-report"}, "GET", "/api/v1/reports/rotation", ""},
      {{"keys", "rotation-report", "--csv"}, "GET", "/api/v1/reports/rotation?format=csv", ""},
      {{"users", "list"}, "GET", "/api/v1/users", ""},
      {{"users", "get", "usr_1"}, "GET", "/api/v1/users/usr_1", ""},
      {{"users", "get", "../x"}, "GET", "/api/v1/users/%2E%2E%2Fx", ""},
      {{"users", "disable", "usr_1"}, "PATCH", "/api/v1/users/usr_1", R"({"disabled":true})"},
      {{"users", "enable", "usr_1"}, "PATCH", "/api/v1/users/usr_1", R"({"disabled":false})"},
      {{"users", "api-access", "usr_1", "off"},
       "PATCH",
       "/api/v1/users/usr_1",
       R"({"api_access":false})"},
      {{"users", "revoke-tokens", "usr_1"}, "DELETE", "/api/v1/users/usr_1/tokens", ""},
      {{"users", "invite", "usr_1"}, "POST", "/api/v1/users/usr_1/invitation", ""},
      {{"access-key", "reset"}, "POST", "/api/v1/users/me/access-key", ""},
      {{"access-key", "reset", "--user", "usr_2"}, "POST", "/api/v1/users/usr_2/access-key", ""},
      {{"me"}, "GET", "/api/v1/account/me", ""},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(run(c.args), kExitOk) << c.args[0] << " " << c.args[1] << ": " << err_.str();
    const auto request = transport_->requests().back();
    EXPECT_EQ(request.method, c.method) << c.path;
    EXPECT_EQ(request.url, std::string(testing::kBaseUrl) + c.path);
    EXPECT_EQ(request.body, c.body) << c.path;
    EXPECT_EQ(testing::authorization_of(request), "Bearer lk_at_admin0000000");
    EXPECT_EQ(out_.str(), "{\n  \"id\": \"usr_1\"\n}\n");
  }
  EXPECT_EQ(transport_->count("POST", "/api/v1/account/token"), 1u);  // cached throughout
}

// Test that the webhook outbox commands send the documented requests
// (docs/webhooks.md), and refuse an unknown status before sending.
TEST_F(CliTest, EventCommandsSendDocumentedRequests) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_admin0000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(200, R"({"id":"evt_1"})");
  });
  const std::vector<std::tuple<std::vector<std::string>, std::string, std::string>> cases = {
      {{"events", "list"}, "GET", "/api/v1/events"},
      {{"events", "list", "--status", "dead", "--limit", "5"},
       "GET",
       "/api/v1/events?status=dead&limit=5"},
      {{"events", "list", "--cursor", "42"}, "GET", "/api/v1/events?cursor=42"},
      {{"events", "redeliver", "evt_1"}, "POST", "/api/v1/events/evt_1/redeliver"},
      {{"events", "test"}, "POST", "/api/v1/events/test"},
  };
  for (const auto& [args, method, path] : cases) {
    ASSERT_EQ(run(args), kExitOk) << path << ": " << err_.str();
    const auto request = transport_->requests().back();
    EXPECT_EQ(request.method, method) << path;
    EXPECT_EQ(request.url, std::string(testing::kBaseUrl) + path);
  }
  const std::size_t sent = transport_->requests().size();
  EXPECT_EQ(run({"events", "list", "--status", "lost"}), kExitUsage);
  EXPECT_EQ(run({"events", "redeliver"}), kExitUsage);
  EXPECT_EQ(transport_->requests().size(), sent);
}

// Test that `users allow-origins` and `keys allow-origins` send the
// documented PUT (docs/origin-restrictions.md), --clear an empty list, that
// `keys create --allow-origin` sends allowed_origins, and that naming
// neither blocks nor --clear is a usage error.
TEST_F(CliTest, AllowOriginsCommandsSendDocumentedRequests) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_admin0000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(200, R"({"id":"usr_1"})");
  });
  struct Case {
    std::vector<std::string> args;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {{"users", "allow-origins", "usr_1", "10.0.0.0/8", "2001:db8::/32"},
       "PUT",
       "/api/v1/users/usr_1/allowed-origins",
       R"({"cidrs":["10.0.0.0/8","2001:db8::/32"]})"},
      {{"users", "allow-origins", "usr_1", "--clear"},
       "PUT",
       "/api/v1/users/usr_1/allowed-origins",
       R"({"cidrs":[]})"},
      {{"keys", "allow-origins", "key_1", "192.0.2.7"},
       "PUT",
       "/api/v1/keys/key_1/allowed-origins",
       R"({"cidrs":["192.0.2.7"]})"},
      {{"keys", "allow-origins", "key_1", "--clear"},
       "PUT",
       "/api/v1/keys/key_1/allowed-origins",
       R"({"cidrs":[]})"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(run(c.args), kExitOk) << c.args[0] << " " << c.args[1] << ": " << err_.str();
    const auto request = transport_->requests().back();
    EXPECT_EQ(request.method, c.method) << c.path;
    EXPECT_EQ(request.url, std::string(testing::kBaseUrl) + c.path);
    EXPECT_EQ(request.body, c.body) << c.path;
  }
  ASSERT_EQ(run({"keys", "create", "ci", "--days", "30", "--allow-origin", "10.0.0.0/8",
                 "--allow-origin", "::1"}),
            kExitOk)
      << err_.str();
  EXPECT_EQ(transport_->requests().back().body,
            R"({"allowed_origins":["10.0.0.0/8","::1"],"expires_in_days":30,"name":"ci",)"
            R"("scope":"write"})");
  const std::size_t sent = transport_->requests().size();
  EXPECT_EQ(run({"users", "allow-origins", "usr_1"}), kExitUsage);
  EXPECT_EQ(run({"keys", "allow-origins", "key_1", "10.0.0.0/8", "--clear"}), kExitUsage);
  EXPECT_EQ(transport_->requests().size(), sent);
}

// Test that bad usage exits 2 before any request is sent.
TEST_F(CliTest, BadUsageExitsTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{},
        {"users"},
        {"users", "create", "x"},
        {"users", "create", "x", "--type", "robot"},
        {"users", "api-access", "usr_1", "maybe"},
        {"users", "update", "usr_1"},
        {"users", "update", "usr_1", "--expires", "2027-01-01", "--no-expiry"},
        {"nonsense"},
        {"me", "--url", "ftp://x"}}) {
    EXPECT_EQ(run(args), kExitUsage) << (args.empty() ? "" : args[0]);
  }
  EXPECT_TRUE(server_.transport()->requests().empty());
  EXPECT_EQ(run({"--help"}), kExitOk);
  EXPECT_NE(out_.str().find("users"), std::string::npos);
}

// Test that a server refusal prints the server's error and description and exits 1.
TEST_F(CliTest, ServerRefusalExitsOneWithServerMessage) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_user00000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(
        403, R"({"error":"forbidden","error_description":"requires the ADMIN module"})");
  });
  EXPECT_EQ(run({"users", "list"}), kExitRefused);
  EXPECT_TRUE(err_.str().ends_with("latchkey: forbidden: requires the ADMIN module (HTTP: 403)\n"))
      << err_.str();
  EXPECT_TRUE(out_.str().empty());
}

// Test that a connection failure exits 2.
TEST_F(CliTest, ConnectionErrorExitsTwo) {
  transport_ = std::make_shared<FakeTransport>(
      [](const client::HttpRequest&) -> client::Result<client::HttpResponse> {
        return std::unexpected(client::ClientError{.kind = client::ErrorKind::kTransport,
                                                   .description = "connection refused"});
      });
  EXPECT_EQ(run({"me"}), kExitUsage);
  EXPECT_NE(err_.str().find("connection refused"), std::string::npos);
}

// Test that the access-key reset prints the new credentials once on stdout
// and the storage hint on stderr, and never the secret on stderr.
TEST_F(CliTest, AccessKeyResetPrintsCredentialsAndHint) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_user00000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(200, std::string(R"({"user_id":"usr_1","client_id":")") +
                                        testing::kClientId +
                                        R"(","client_secret":"lk_sec_NewSecret0000000000"})");
  });
  ASSERT_EQ(run({"access-key", "reset"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("lk_sec_NewSecret0000000000"), std::string::npos);
  EXPECT_NE(err_.str().find("secrets manager"), std::string::npos);
  EXPECT_NE(err_.str().find("LATCHKEY_CLIENT_SECRET"), std::string::npos);
  EXPECT_EQ(err_.str().find("lk_sec_"), std::string::npos);
}

// Test that the rotation commands (docs/rotation.md) send the documented
// requests: no body without --previous-valid-for (seed 000's reset), the
// overlap as {"previous_valid_for_seconds": N} with it; out-of-range values
// are usage errors sent nowhere.
TEST_F(CliTest, RotationCommandsSendDocumentedRequests) {
  transport_ = std::make_shared<FakeTransport>([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_admin0000000","token_type":"bearer","expires_in":3600})");
    }
    return FakeTransport::json(
        200, R"({"id":"key_2","previous_key_lapses_at":"2026-03-01T10:10:00.000Z"})");
  });
  struct Case {
    std::vector<std::string> args;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {{"access-key", "reset", "--previous-valid-for", "3600"},
       "POST",
       "/api/v1/users/me/access-key",
       R"({"previous_valid_for_seconds":3600})"},
      {{"access-key", "reset", "--user", "usr_2", "--previous-valid-for", "0"},
       "POST",
       "/api/v1/users/usr_2/access-key",
       R"({"previous_valid_for_seconds":0})"},
      {{"access-key", "retire-previous"}, "DELETE", "/api/v1/users/me/access-key/previous", ""},
      {{"access-key", "retire-previous", "--user", "usr_2"},
       "DELETE",
       "/api/v1/users/usr_2/access-key/previous",
       ""},
      {{"keys", "reroll", "key_1"}, "POST", "/api/v1/keys/key_1/reroll", ""},
      {{"keys", "reroll", "key_1", "--previous-valid-for", "600"},
       "POST",
       "/api/v1/keys/key_1/reroll",
       R"({"previous_valid_for_seconds":600})"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(run(c.args), kExitOk) << c.args[0] << " " << c.args[1] << ": " << err_.str();
    const auto request = transport_->requests().back();
    EXPECT_EQ(request.method, c.method) << c.path;
    EXPECT_EQ(request.url, std::string(testing::kBaseUrl) + c.path);
    EXPECT_EQ(request.body, c.body) << c.path;
  }
  EXPECT_NE(err_.str().find("2026-03-01T10:10:00.000Z"), std::string::npos) << err_.str();
  const std::size_t sent = transport_->requests().size();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"access-key", "reset", "--previous-valid-for", "604801"},
        {"access-key", "reset", "--previous-valid-for", "-1"},
        {"keys", "reroll", "key_1", "--previous-valid-for", "soon"},
        {"keys", "reroll"}}) {
    EXPECT_EQ(run(args), kExitUsage) << args.back();
  }
  EXPECT_EQ(transport_->requests().size(), sent);
}

// Test that TLS options reach the transport, and --insecure is refused off loopback.
TEST_F(CliTest, TlsOptions) {
  ASSERT_EQ(run({"me", "--cacert", "/etc/ca.pem"}), kExitOk) << err_.str();
  EXPECT_TRUE(last_transport_options_.verify_tls);
  EXPECT_EQ(last_transport_options_.ca_file, "/etc/ca.pem");

  EXPECT_EQ(run({"me", "--insecure"}), kExitUsage);  // latchkey.test is not loopback
  EXPECT_NE(err_.str().find("loopback"), std::string::npos);

  env_vars_["LATCHKEY_URL"] = "https://127.0.0.1:8443";
  env_vars_["LATCHKEY_INSECURE"] = "1";
  run({"me"});
  EXPECT_FALSE(last_transport_options_.verify_tls);
}

// Test where the token cache lives by default.
TEST(DefaultTokenCachePath, FollowsXdgThenHome) {
  std::map<std::string, std::string> vars = {{"HOME", "/home/a"}};
  CliEnvironment env{.getenv = [&vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  }};
  EXPECT_EQ(default_token_cache_path("cli_1", env), "/home/a/.cache/latchkey/token-cli_1.json");
  vars["XDG_CACHE_HOME"] = "/xdg";
  EXPECT_EQ(default_token_cache_path("cli_1", env), "/xdg/latchkey/token-cli_1.json");
  EXPECT_EQ(default_token_cache_path("../../etc/x", env), "/xdg/latchkey/token-______etc_x.json");
  vars.clear();
  EXPECT_EQ(default_token_cache_path("cli_1", env), "");
}

// Test which URLs count as loopback for --insecure.
TEST(LoopbackUrl, RecognisesOnlyLoopbackHosts) {
  EXPECT_TRUE(is_loopback_url("https://127.0.0.1:8443/x"));
  EXPECT_TRUE(is_loopback_url("https://localhost"));
  EXPECT_TRUE(is_loopback_url("https://[::1]:8443"));
  EXPECT_FALSE(is_loopback_url("https://127.evil.example"));
  EXPECT_FALSE(is_loopback_url("https://127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_url("https://localhost@evil.example"));
  EXPECT_FALSE(is_loopback_url("https://latchkey.example.com"));
}

}  // namespace
}  // namespace latchkey::cli
