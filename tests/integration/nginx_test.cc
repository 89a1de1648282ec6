// latchkeyd behind a real nginx (docs/nginx.md): nginx asks
// GET /v1/auth-request before proxying, passes the identity headers to the
// upstream, and answers 401 / 403 itself when latchkey refuses. The upstream
// is a second server block of the same nginx that echoes what it received.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

// A port that was free a moment ago on 127.0.0.1.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// examples/nginx/nginx.conf as shipped, with the test's addresses in place
// of the example's 127.0.0.1:8000 (nginx), :8080 (latchkeyd) and :9000 (the
// stand-in upstream).
// `text` with every `from` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string nginx_conf(int port, int upstream_port, const std::string& latchkey_url) {
  std::ifstream example(std::string(LATCHKEY_SOURCE_DIR) + "/examples/nginx/nginx.conf");
  std::stringstream text;
  text << example.rdbuf();
  std::string conf = text.str();
  const std::string latchkey = latchkey_url.substr(latchkey_url.find("//") + 2);
  conf = replace_all(conf, "127.0.0.1:8000", "127.0.0.1:" + std::to_string(port));
  conf = replace_all(conf, "127.0.0.1:8080", latchkey);
  conf = replace_all(conf, "127.0.0.1:9000", "127.0.0.1:" + std::to_string(upstream_port));
  return conf;
}

class NginxTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    config_path_ = "/tmp/latchkey-nginx-test-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << R"toml(
[[route_rules]]
method = "GET"
path = "/api/status/*"
action = "authenticated"

[[route_rules]]
method = "POST"
path = "/api/apps/{application}/records"
action = "create_record"

[[route_rules]]
method = "*"
path = "/api/admin/*"
action = "create_record"
application = "app_none"
)toml";
    return {"--config", config_path_};
  }

  void SetUp() override {
    if (::access(kNginx, X_OK) != 0) {
      GTEST_SKIP() << kNginx << " is not installed (apt-get install nginx-light; "
                   << "scripts/install-deps.sh does it)";
    }
    ServerTest::SetUp();
    char tmpl[] = "/tmp/latchkey-nginx-XXXXXX";
    prefix_ = ::mkdtemp(tmpl);
    port_ = free_port();
    const int upstream_port = free_port();
    const std::string conf_path = prefix_ + "/nginx.conf";
    std::ofstream(conf_path) << nginx_conf(port_, upstream_port, server_->url());
    const std::string log = prefix_ + "/nginx.out";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(kNginx, kNginx, "-p", prefix_.c_str(), "-c", conf_path.c_str(), "-e",
              (prefix_ + "/error.log").c_str(), nullptr);
      ::_exit(127);
    }
    // Ready when it answers (nginx has no ready file); bounded.
    for (int i = 0; i < 200; ++i) {
      if (http_.send("GET", base() + "/healthz").status != 0) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    std::ifstream out(prefix_ + "/error.log");
    std::stringstream text;
    text << out.rdbuf();
    FAIL() << "nginx did not start: " << text.str();
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!prefix_.empty()) std::filesystem::remove_all(prefix_);
    std::remove(config_path_.c_str());
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::string config_path_;
  std::string prefix_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Test that an allowed request reaches the upstream with latchkey's
// identity headers, and that latchkey recorded the decision.
TEST_F(NginxTest, AllowedRequestReachesUpstreamWithIdentity) {
  const Credentials svc = create_user_with_credentials("edge-svc", "service", true);
  const std::string token = issue_token(svc);
  HttpResult r = http_.send("GET", base() + "/api/status/db?verbose=1",
                            {bearer_header(token), "X-Integration: edge-monitor"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("upstream user_id=" + svc.user_id), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("user_name=edge-svc"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("credential=client " + svc.client_id), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("uri=/api/status/db?verbose=1"), std::string::npos) << r.body;
  // The token itself is not what the upstream needs: nginx strips it.
  EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;

  HttpResult trail = get("/api/v1/audit?principal=" + svc.user_id, {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  bool audited = false;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    audited |= e["action"] == "authorize.authenticated" && e["resource"] == "GET /api/status/db" &&
               e["integration"] == "edge-monitor";
  }
  EXPECT_TRUE(audited) << trail.body;
}

// Test that a missing or bad token gets 401 with WWW-Authenticate from
// nginx, and the upstream never sees the request.
TEST_F(NginxTest, BadTokenGets401) {
  HttpResult none = http_.send("GET", base() + "/api/status/db");
  EXPECT_EQ(none.status, 401) << none.body;
  HttpResult bad = http_.send("GET", base() + "/api/status/db", {bearer_header("lk_at_bogus")});
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_NE(bad.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(bad.body.find("upstream"), std::string::npos) << bad.body;
}

// Test that a request no rule allows, and one the permission model denies,
// get 403 and never reach the upstream.
TEST_F(NginxTest, DeniedRequestGets403) {
  const Credentials svc = create_user_with_credentials("edge-denied", "service", true);
  const std::string token = issue_token(svc);
  HttpResult unmatched = http_.send("DELETE", base() + "/api/records/1", {bearer_header(token)});
  EXPECT_EQ(unmatched.status, 403) << unmatched.body;
  EXPECT_EQ(unmatched.body.find("upstream"), std::string::npos) << unmatched.body;
  HttpResult denied = http_.send("POST", base() + "/api/admin/reset", {bearer_header(token)});
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(denied.body.find("upstream"), std::string::npos) << denied.body;
}

// Test seed 001's "Create new Records" row through nginx: RECORDS (via a
// role), Edit on the application and Edit on its origin step let the
// request through; without the entitlement it is a 403 that never reaches
// the upstream.
TEST_F(NginxTest, PermissionModelDecidesThroughNginx) {
  const std::vector<std::string> admin_json = {bearer_header(admin_token()),
                                               "Content-Type: application/json"};
  const Credentials svc = create_user_with_credentials("edge-writer", "service", true);
  HttpResult app = post("/api/v1/applications", admin_json,
                        R"({"name":"edge-app","steps":[{"name":"intake","origin":true}]})");
  ASSERT_EQ(app.status, 201) << app.body;
  const std::string app_id = json_of(app)["id"];
  HttpResult set = post(
      "/api/v1/permission-sets", admin_json,
      Json{{"name", "edge-intake"}, {"steps", {{json_of(app)["origin_step"], "edit"}}}}.dump());
  ASSERT_EQ(set.status, 201) << set.body;
  HttpResult role = post("/api/v1/roles", admin_json,
                         Json{{"name", "Integration: Edge"},
                              {"modules", {"RECORDS"}},
                              {"permission_sets", {json_of(set)["id"]}}}
                             .dump());
  ASSERT_EQ(role.status, 201) << role.body;
  const std::string role_id = json_of(role)["id"];
  ASSERT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/roles/" + role_id, admin_json).status,
            200);
  const std::string token = issue_token(svc);
  const std::string url = base() + "/api/apps/" + app_id + "/records";

  HttpResult missing = http_.send("POST", url, {bearer_header(token)}, "{}");
  EXPECT_EQ(missing.status, 403) << missing.body;
  EXPECT_EQ(missing.body.find("upstream"), std::string::npos) << missing.body;

  ASSERT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_id, admin_json,
                 R"({"access":"edit"})")
                .status,
            200);
  HttpResult allowed = http_.send("POST", url, {bearer_header(token)}, "{}");
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_NE(allowed.body.find("upstream user_id=" + svc.user_id), std::string::npos)
      << allowed.body;

  HttpResult trail = get("/api/v1/audit?principal=" + svc.user_id + "&decision=deny",
                         {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  const Json denials = json_of(trail)["events"];
  ASSERT_FALSE(denials.empty()) << trail.body;
  EXPECT_EQ(denials[0]["action"], "authorize.create_record");
  EXPECT_EQ(denials[0]["reason"], "application_entitlement_missing") << trail.body;
}

}  // namespace
}  // namespace latchkey::testing
