// The `latchkey` CLI against a real latchkeyd: the seed-000 best practices
// (cache with expiry, reuse, one retry on 401, then fail loud) and the admin verbs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliAgainstServer : public ServerTest {
 protected:
  // Runs latchkey with LATCHKEY_* taken from `creds` (ids and secrets hold
  // only [A-Za-z0-9_], so they need no shell quoting).
  CliRun cli(const std::string& args, const Credentials& creds) {
    const std::string err_path = server_->data_dir() + "/cli.err";
    const std::string cmd =
        "env -i HOME=" + server_->data_dir() + " LATCHKEY_URL=" + server_->url() +
        " LATCHKEY_CLIENT_ID=" + creds.client_id +
        " LATCHKEY_CLIENT_SECRET=" + creds.client_secret +
        " LATCHKEY_TOKEN_CACHE=" + server_->data_dir() + "/cache-" + creds.client_id + ".json " +
        LATCHKEY_CLI_PATH + " " + args + " 2>" + err_path;
    CliRun run;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) run.out.append(buf.data(), n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    FILE* err = fopen(err_path.c_str(), "r");
    while (std::size_t n = fread(buf.data(), 1, buf.size(), err)) run.err.append(buf.data(), n);
    fclose(err);
    while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
    return run;
  }
};

// Test that `latchkey token` caches the token with its expiry and reuses it.
TEST_F(CliAgainstServer, TokenIsCachedAndReused) {
  CliRun first = cli("token", admin());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(first.out.starts_with("lk_at_"));
  CliRun second = cli("token", admin());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out) << "a cached token must be reused, not regenerated";
  EXPECT_EQ(me(first.out).status, 200);
  const auto perms =
      std::filesystem::status(server_->data_dir() + "/cache-" + admin().client_id + ".json")
          .permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// Test that a token superseded by another process is regenerated once.
TEST_F(CliAgainstServer, SupersededTokenIsRegeneratedOnce) {
  CliRun first = cli("token", admin());
  ASSERT_EQ(first.exit_code, 0);
  issue_token(admin(), "another-process");  // invalidates the CLI's cached token
  CliRun second = cli("token", admin());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out, first.out);
  EXPECT_EQ(me(second.out).status, 200);
}

// Test that refused credentials fail loudly with the server's reason and exit 1.
TEST_F(CliAgainstServer, RefusedCredentialsFailLoud) {
  const Credentials off = create_user_with_credentials("cli-no-api", "service", false);
  CliRun run = cli("token", off);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("api_access_disabled"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(off.client_secret), std::string::npos);
}

// Test the admin verbs end to end: create a service account, give it a
// secret, disable and enable it.
TEST_F(CliAgainstServer, AdminVerbs) {
  CliRun created = cli("users create cli-svc --type service --api-access", admin());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string id = Json::parse(created.out)["id"];

  CliRun reset = cli("access-key reset --user " + id, admin());
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  Json key = Json::parse(reset.out);
  Credentials svc{id, key["client_id"], key["client_secret"]};
  CliRun svc_token = cli("token", svc);
  ASSERT_EQ(svc_token.exit_code, 0) << svc_token.err;

  ASSERT_EQ(cli("users disable " + id, admin()).exit_code, 0);
  EXPECT_EQ(json_of(me(svc_token.out))["reason"], "user_disabled");
  ASSERT_EQ(cli("users enable " + id, admin()).exit_code, 0);
  CliRun listed = cli("users list", admin());
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_EQ(Json::parse(listed.out)["users"].size(), 2u);

  CliRun forbidden = cli("users list", svc);
  EXPECT_EQ(forbidden.exit_code, 1);
  EXPECT_NE(forbidden.err.find("forbidden"), std::string::npos) << forbidden.err;
}

// Test that `latchkey token revoke` leaves the user without a valid token.
TEST_F(CliAgainstServer, RevokeClearsTheToken) {
  CliRun token = cli("token", admin());
  ASSERT_EQ(token.exit_code, 0);
  CliRun revoked = cli("token revoke", admin());
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(json_of(me(token.out))["reason"], "revoked");
}

// Test that revoking a cached token that was already superseded does not
// regenerate one, which would knock out the other process's token.
TEST_F(CliAgainstServer, RevokeNeverRegenerates) {
  CliRun token = cli("token", admin());
  ASSERT_EQ(token.exit_code, 0);
  const std::string others = issue_token(admin(), "another-process");
  CliRun revoked = cli("token revoke", admin());
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(me(others).status, 200) << "the other process's token must survive";
}

// Test `latchkey keys usage`: the table by default, the JSON answer with
// --json, a server refusal (bad time) exits 1, a bad granularity exits 2.
TEST_F(CliAgainstServer, KeysUsage) {
  HttpResult created =
      post("/api/v1/keys", {bearer_header(admin_token()), "Content-Type: application/json"},
           R"({"name":"cli-usage","expires_in_days":30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = json_of(created)["id"];
  const std::string api_key = json_of(created)["api_key"];
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(post("/v2/auth/token/access", {"Content-Type: application/json"},
                   Json{{"api_key", api_key}}.dump())
                  .status,
              200);
  }
  CliRun table = cli("keys usage " + id, admin());
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("POST /v2/auth/token/access"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("TOTAL"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find(api_key), std::string::npos);
  CliRun json = cli("keys usage " + id + " --granularity day --json", admin());
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(Json::parse(json.out)["total"], 2);
  EXPECT_EQ(Json::parse(json.out)["granularity"], "day");
  EXPECT_EQ(cli("keys usage " + id + " --from yesterday", admin()).exit_code, 1);
  EXPECT_EQ(cli("keys usage " + id + " --granularity week", admin()).exit_code, 2);
}

}  // namespace
}  // namespace latchkey::testing
