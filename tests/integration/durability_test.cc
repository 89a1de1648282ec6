// Invariant 5 (DESIGN.md): an acknowledged write survives kill -9. Also
// bootstrap happens once and later starts show no secret.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class Durability : public ServerTest {};

// Test that a token returned with 200 still works after kill -9 and restart.
TEST_F(Durability, IssuedTokenSurvivesKill9) {
  const std::string token = issue_token(admin());
  server_->kill_hard();  // right after the 200: no drain, no clean close
  server_->restart();
  HttpResult r = me(token);
  EXPECT_EQ(r.status, 200) << r.body;
}

// Test that a reset secret and a revocation survive kill -9.
TEST_F(Durability, SecretResetAndRevocationSurviveKill9) {
  const Credentials svc = create_user_with_credentials("durable", "service", true);
  const std::string token = issue_token(svc);
  HttpResult reset =
      post("/api/v1/users/" + svc.user_id + "/access-key", {bearer_header(admin_token())});
  ASSERT_EQ(reset.status, 200);
  ASSERT_EQ(send("DELETE", "/api/v1/account/token", {bearer_header(token)}).status, 204);
  server_->kill_hard();
  server_->restart();
  EXPECT_EQ(issue(svc.client_id, svc.client_secret).status, 401);
  EXPECT_EQ(issue(svc.client_id, json_of(reset)["client_secret"]).status, 200);
  EXPECT_EQ(json_of(me(token))["reason"], "revoked");
}

// Test that a disable survives kill -9: the user stays disabled and the
// tokens deleted with it stay deleted.
TEST_F(Durability, DisableSurvivesKill9) {
  const Credentials svc = create_user_with_credentials("to-disable", "service", true);
  const std::string token = issue_token(svc);
  ASSERT_EQ(patch_user(svc.user_id, R"({"disabled": true})").status, 200);
  server_->kill_hard();
  server_->restart();
  EXPECT_EQ(json_of(me(token))["reason"], "user_disabled");
  EXPECT_EQ(json_of(issue(svc.client_id, svc.client_secret))["reason"], "user_disabled");
}

// Test that a second latchkeyd on the same data directory refuses to start
// (it would cache tokens that the first one revokes).
TEST_F(Durability, SecondServerOnTheSameDataDirIsRefused) {
  const std::string data = server_->data_dir() + "/db";
  const std::string cmd = std::string(LATCHKEYD_PATH) + " --listen 127.0.0.1:0 --data " + data +
                          " > " + server_->data_dir() + "/second.log 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_EQ(get("/healthz").status, 200);
}

// Test that the admin is bootstrapped once, the file is private, and a
// restart prints no secret.
TEST_F(Durability, BootstrapHappensOnceAndTheFileIsPrivate) {
  struct stat st {};
  ASSERT_EQ(stat((server_->data_dir() + "/bootstrap.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string secret = admin().client_secret;
  std::string out = server_->output();
  // The one-time first-start line: JSON (the output is a file), naming the
  // bootstrap file that holds the secret, not the secret (docs/logging.md).
  ASSERT_NE(out.find("\"logger\":\"bootstrap\""), std::string::npos) << out;
  EXPECT_EQ(out.find(secret), std::string::npos) << out;
  const auto first = out.size();

  EXPECT_EQ(server_->stop_gracefully(), 0);
  server_->restart();
  const std::string after = server_->output().substr(first);
  EXPECT_EQ(after.find("lk_sec_"), std::string::npos) << after;
  EXPECT_EQ(after.find("\"logger\":\"bootstrap\""), std::string::npos) << after;
  EXPECT_EQ(issue(admin().client_id, secret).status, 200);
}

// Test that SIGTERM drains and exits 0.
TEST_F(Durability, GracefulStopExitsZero) {
  ASSERT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(server_->stop_gracefully(), 0);
}

}  // namespace
}  // namespace latchkey::testing
