// latchkeyd behind proxies (docs/proxies.md): trusted_proxies and
// X-Forwarded-For, the PROXY protocol, Caddy forward_auth and HAProxy
// send-proxy-v2 with the shipped example configurations, and the Envoy
// ext_authz HTTP contract. Loopback only: 127.0.0.2 and 127.0.0.3 are other
// peers to the server than the fixture's 127.0.0.1.
#include <fcntl.h>
#include <signal.h>
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
#include "unit/http/raw_connection.h"

namespace latchkey::testing {
namespace {

using http::RawConnection;
using http::RawResponse;

constexpr const char* kCaddy = "/usr/bin/caddy";
constexpr const char* kHaproxy = "/usr/sbin/haproxy";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string example(const std::string& relative) {
  return read_text(std::string(LATCHKEY_SOURCE_DIR) + "/examples/" + relative);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A port that was free a moment ago on 127.0.0.1.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// "host:port" of a URL.
std::string authority_of(const std::string& url) { return url.substr(url.find("//") + 2); }

// One request over a fresh connection from `source_ip`, with `prefix`
// (a PROXY header) sent first. nullopt: the server closed without answering.
std::optional<RawResponse> raw_request(std::uint16_t port, const char* source_ip,
                                       const std::string& prefix, const std::string& method,
                                       const std::string& target,
                                       const std::vector<std::string>& headers = {}) {
  RawConnection c(port, 0, source_ip);
  if (!c.connected()) return std::nullopt;
  std::string request = prefix + method + " " + target + " HTTP/1.1\r\n";
  bool host = false;
  for (const auto& h : headers) {
    request += h + "\r\n";
    host |= h.starts_with("Host:");
  }
  if (!host) request += "Host: t\r\n";
  request += "Content-Length: 0\r\nConnection: close\r\n\r\n";
  c.send(request);
  return c.read_response();
}

// The client IPs latchkeyd recorded for `user_id` (audit trail).
std::vector<std::string> audited_ips(ServerTest& t, HttpClient& http, const std::string& url,
                                     const std::string& admin_token, const std::string& user_id) {
  HttpResult trail =
      http.send("GET", url + "/api/v1/audit?principal=" + user_id, {bearer_header(admin_token)});
  EXPECT_EQ(trail.status, 200) << trail.body;
  std::vector<std::string> ips;
  if (trail.status != 200) return ips;
  const nlohmann::json body = nlohmann::json::parse(trail.body);
  for (const auto& e : body["events"]) ips.push_back(e["client_ip"]);
  if (ips.empty()) ADD_FAILURE() << "no audit events for " << user_id << ": " << trail.body;
  (void)t;
  return ips;
}

// Whether latchkeyd's output shows `needle` within a few seconds: access-log
// lines are written by a background thread every 20 ms.
bool output_shows(const LatchkeydProcess& server, const std::string& needle) {
  for (int i = 0; i < 300; ++i) {
    if (server.output().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string v2_header_ipv4(std::array<unsigned char, 4> source) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += '\x21';  // version 2, PROXY
  h += '\x11';  // AF_INET, STREAM
  h += std::string("\x00\x0c", 2);
  for (unsigned char b : source) h += static_cast<char>(b);
  h += std::string("\x7f\x00\x00\x01", 4);
  h += std::string("\xc3\x50\x00\x50", 4);
  return h;
}

// A child process (a proxy) with its output in a file; SIGTERM on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log,
        const std::vector<std::pair<std::string, std::string>>& env = {})
      : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool alive() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  std::string output() const { return read_text(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// Waits (bounded) until `url` answers at all; false if the child died.
bool wait_until_answers(HttpClient& http, Child& child, const std::string& url) {
  for (int i = 0; i < 400; ++i) {
    if (http.send("GET", url).status != 0) return true;
    if (!child.alive()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// --- trusted_proxies and X-Forwarded-For ---------------------------------

class TrustedProxyTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    return {"--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "::1/128"};
  }
  std::uint16_t port() const { return port_of(server_->url()); }
};

// Test that from a trusted peer the first untrusted address of
// X-Forwarded-For (from the right) is the client in the audit trail and the
// access log, and that from an untrusted peer the header is ignored.
TEST_F(TrustedProxyTest, ForwardedForHonouredFromTrustedPeersOnly) {
  const Credentials svc = create_user_with_credentials("xff-svc", "service", true);
  const std::string token = issue_token(svc);
  auto via_trusted = raw_request(port(), "127.0.0.1", "", "GET", "/api/v1/account/me",
                                 {bearer_header(token), "X-Forwarded-For: 6.6.6.6, 203.0.113.50"});
  ASSERT_TRUE(via_trusted);
  EXPECT_EQ(via_trusted->status, 200) << via_trusted->body;
  auto via_untrusted = raw_request(port(), "127.0.0.2", "", "GET", "/api/v1/account/me",
                                   {bearer_header(token), "X-Forwarded-For: 203.0.113.51"});
  ASSERT_TRUE(via_untrusted);
  EXPECT_EQ(via_untrusted->status, 200) << via_untrusted->body;
  auto malformed = raw_request(port(), "127.0.0.1", "", "GET", "/api/v1/account/me",
                               {bearer_header(token), "X-Forwarded-For: 203.0.113.52, unknown"});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 200) << malformed->body;

  const auto ips = audited_ips(*this, http_, server_->url(), admin_token(), svc.user_id);
  EXPECT_TRUE(contains(ips, "203.0.113.50")) << ::testing::PrintToString(ips);
  EXPECT_TRUE(contains(ips, "127.0.0.2")) << ::testing::PrintToString(ips);
  EXPECT_FALSE(contains(ips, "203.0.113.51")) << ::testing::PrintToString(ips);
  EXPECT_FALSE(contains(ips, "6.6.6.6")) << ::testing::PrintToString(ips);
  EXPECT_FALSE(contains(ips, "203.0.113.52")) << ::testing::PrintToString(ips);
  // The malformed chain: the proxy itself is the client.
  EXPECT_TRUE(contains(ips, "127.0.0.1")) << ::testing::PrintToString(ips);

  EXPECT_TRUE(output_shows(*server_, "\"remote\":\"203.0.113.50\""));
  EXPECT_TRUE(output_shows(*server_, "\"remote\":\"127.0.0.2\""));
  EXPECT_EQ(server_->output().find("\"remote\":\"203.0.113.51\""), std::string::npos);
}

// Test that the per-IP authentication throttle counts the forwarded client:
// clients behind one trusted proxy do not share a count, while a client
// that forges X-Forwarded-For without being a proxy gains nothing.
TEST_F(TrustedProxyTest, ThrottleCountsTheForwardedClient) {
  int attempt = 0;
  auto bad_key = [&](const char* source, const std::string& xff) {
    // A new key each time: only the per-IP count can add up.
    const std::string body = R"({"api_key":"lk_key_guess)" + std::to_string(attempt++) + R"("})";
    RawConnection c(port(), 0, source);
    c.send(
        "POST /v2/auth/token/access HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "X-Forwarded-For: " +
        xff + "\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body);
    auto r = c.read_response();
    return r ? r->status : 0;
  };
  // 20 failures per address are free (docs/rate-limits.md), then 429.
  for (int i = 0; i < 21; ++i) ASSERT_EQ(bad_key("127.0.0.1", "198.51.100.1"), 401) << i;
  EXPECT_EQ(bad_key("127.0.0.1", "198.51.100.1"), 429);
  EXPECT_EQ(bad_key("127.0.0.1", "198.51.100.2"), 401);  // another client behind the proxy

  for (int i = 0; i < 21; ++i) {
    ASSERT_EQ(bad_key("127.0.0.2", "198.51.100." + std::to_string(10 + i)), 401) << i;
  }
  EXPECT_EQ(bad_key("127.0.0.2", "198.51.100.99"), 429);  // the forged header changed nothing
}

// --- PROXY protocol -------------------------------------------------------

// The fixture talks from 127.0.0.1 (untrusted, served directly); 127.0.0.3
// plays the proxy.
class ProxyProtocolTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    return {"--trusted-proxy", "127.0.0.3/32", "--proxy-protocol"};
  }
  std::uint16_t port() const { return port_of(server_->url()); }
};

// Test that a trusted proxy's v1 and v2 headers name the client for the
// whole pipeline, keep-alive requests included.
TEST_F(ProxyProtocolTest, V1AndV2FromTrustedPeerNameTheClient) {
  const Credentials svc = create_user_with_credentials("pp-svc", "service", true);
  const std::string token = issue_token(svc);
  auto v1 = raw_request(port(), "127.0.0.3", "PROXY TCP4 198.51.100.20 127.0.0.1 5555 80\r\n",
                        "GET", "/api/v1/account/me", {bearer_header(token)});
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->status, 200) << v1->body;
  auto v2 = raw_request(port(), "127.0.0.3", v2_header_ipv4({198, 51, 100, 21}), "GET",
                        "/api/v1/account/me", {bearer_header(token)});
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->status, 200) << v2->body;
  // LOCAL (a proxy's own health check): the proxy is the client.
  std::string local("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
  auto health =
      raw_request(port(), "127.0.0.3", local, "GET", "/api/v1/account/me", {bearer_header(token)});
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  {  // Two requests on one connection: both from the named client.
    RawConnection c(port(), 0, "127.0.0.3");
    c.send("PROXY TCP6 2001:db8::22 ::1 5555 80\r\n");
    for (int i = 0; i < 2; ++i) {
      c.send("GET /api/v1/account/me HTTP/1.1\r\nHost: t\r\n" + bearer_header(token) + "\r\n\r\n");
      auto r = c.read_response();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
    }
  }
  const auto ips = audited_ips(*this, http_, server_->url(), admin_token(), svc.user_id);
  EXPECT_TRUE(contains(ips, "198.51.100.20")) << ::testing::PrintToString(ips);
  EXPECT_TRUE(contains(ips, "198.51.100.21")) << ::testing::PrintToString(ips);
  EXPECT_TRUE(contains(ips, "127.0.0.3")) << ::testing::PrintToString(ips);
  EXPECT_TRUE(contains(ips, "2001:db8::22")) << ::testing::PrintToString(ips);
}

// Test that a PROXY header is honoured from allowed sources only: a trusted
// peer without one, an untrusted peer with one, and a malformed one are
// closed unanswered; an untrusted peer without one is served as itself.
TEST_F(ProxyProtocolTest, RefusedWhereNotAllowed) {
  EXPECT_FALSE(raw_request(port(), "127.0.0.3", "", "GET", "/healthz"));
  EXPECT_FALSE(raw_request(port(), "127.0.0.2", "PROXY TCP4 198.51.100.30 127.0.0.1 1 2\r\n", "GET",
                           "/healthz"));
  EXPECT_FALSE(
      raw_request(port(), "127.0.0.2", v2_header_ipv4({198, 51, 100, 31}), "GET", "/healthz"));
  EXPECT_FALSE(raw_request(port(), "127.0.0.3", "PROXY TCP4 198.51.100.300 127.0.0.1 1 2\r\n",
                           "GET", "/healthz"));
  EXPECT_FALSE(
      raw_request(port(), "127.0.0.3", "PROXY UNKNOWN " + std::string(120, 'x'), "GET", "/"));
  auto direct = raw_request(port(), "127.0.0.2", "", "GET", "/healthz");
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->status, 200);
  // A trusted proxy's X-Forwarded-For still counts after its PROXY header
  // names a peer that is itself trusted; an untrusted source's does not.
  const Credentials svc = create_user_with_credentials("pp-xff", "service", true);
  const std::string token = issue_token(svc);
  auto chained =
      raw_request(port(), "127.0.0.3", "PROXY TCP4 127.0.0.3 127.0.0.1 1 2\r\n", "GET",
                  "/api/v1/account/me", {bearer_header(token), "X-Forwarded-For: 198.51.100.40"});
  ASSERT_TRUE(chained);
  auto forged =
      raw_request(port(), "127.0.0.3", "PROXY TCP4 198.51.100.41 127.0.0.1 1 2\r\n", "GET",
                  "/api/v1/account/me", {bearer_header(token), "X-Forwarded-For: 198.51.100.42"});
  ASSERT_TRUE(forged);
  const auto ips = audited_ips(*this, http_, server_->url(), admin_token(), svc.user_id);
  EXPECT_TRUE(contains(ips, "198.51.100.40")) << ::testing::PrintToString(ips);
  EXPECT_TRUE(contains(ips, "198.51.100.41")) << ::testing::PrintToString(ips);
  EXPECT_FALSE(contains(ips, "198.51.100.42")) << ::testing::PrintToString(ips);
}

// Test that a bad CIDR and proxy_protocol without trusted_proxies stop the
// start-up with a message naming the mistake.
TEST(ProxyConfig, BadSettingsStopTheStart) {
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--trusted-proxy", "10.0.0.1/8"}, "10.0.0.1/8"},
           {{"--trusted-proxy", "127.0.0.1/32,::1/129"}, "::1/129"},
           {{"--proxy-protocol"}, "proxy_protocol needs trusted_proxies"}}) {
    std::string command = std::string(LATCHKEYD_PATH) + " --data /tmp/latchkey-proxy-config-" +
                          std::to_string(::getpid()) + " --listen 127.0.0.1:0";
    for (const auto& a : args) command += " '" + a + "'";
    command += " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    const int status = ::pclose(pipe);
    EXPECT_NE(status, 0) << out;
    EXPECT_NE(out.find(expected), std::string::npos) << out;
  }
  std::filesystem::remove_all("/tmp/latchkey-proxy-config-" + std::to_string(::getpid()));
}

// --- Caddy forward_auth ---------------------------------------------------

// examples/caddy/Caddyfile and latchkeyd.toml as shipped, with the test's
// ports in place of 8000 (Caddy), 8080 (latchkeyd) and 9000 (stand-in API).
class CaddyTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    config_path_ = "/tmp/latchkey-caddy-test-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << example("caddy/latchkeyd.toml");
    return {"--config", config_path_};
  }

  void SetUp() override {
    if (::access(kCaddy, X_OK) != 0) {
      GTEST_SKIP() << kCaddy << " is not installed (apt-get install caddy; "
                   << "scripts/install-deps.sh does it)";
    }
    ServerTest::SetUp();
    char tmpl[] = "/tmp/latchkey-caddy-XXXXXX";
    prefix_ = ::mkdtemp(tmpl);
    port_ = free_port();
    std::string conf = example("caddy/Caddyfile");
    conf = replace_all(conf, "127.0.0.1:8000", "127.0.0.1:" + std::to_string(port_));
    conf = replace_all(conf, "127.0.0.1:8080", authority_of(server_->url()));
    conf = replace_all(conf, "127.0.0.1:9000", "127.0.0.1:" + std::to_string(free_port()));
    const std::string conf_path = prefix_ + "/Caddyfile";
    std::ofstream(conf_path) << conf;
    caddy_ = std::make_unique<Child>(
        std::vector<std::string>{kCaddy, "run", "--adapter", "caddyfile", "--config", conf_path},
        prefix_ + "/caddy.out",
        std::vector<std::pair<std::string, std::string>>{
            {"HOME", prefix_}, {"XDG_DATA_HOME", prefix_}, {"XDG_CONFIG_HOME", prefix_}});
    if (!wait_until_answers(http_, *caddy_, base() + "/")) {
      FAIL() << "caddy did not start: " << caddy_->output();
    }
  }

  void TearDown() override {
    caddy_.reset();
    if (!prefix_.empty()) std::filesystem::remove_all(prefix_);
    std::remove(config_path_.c_str());
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::string config_path_;
  std::string prefix_;
  int port_ = 0;
  std::unique_ptr<Child> caddy_;
};

// Test that an allowed request reaches the upstream with latchkey's identity
// (and without the token), and that the client behind Caddy, not Caddy, is
// the one latchkeyd recorded.
TEST_F(CaddyTest, AllowedRequestReachesUpstreamWithIdentity) {
  const Credentials svc = create_user_with_credentials("caddy-svc", "service", true);
  const std::string token = issue_token(svc);
  auto r =
      raw_request(static_cast<std::uint16_t>(port_), "127.0.0.2", "", "GET", "/health/db?verbose=1",
                  {"Host: 127.0.0.1:" + std::to_string(port_), bearer_header(token),
                   "X-Integration: caddy-monitor", "X-Latchkey-User-Id: forged"});
  ASSERT_TRUE(r) << caddy_->output();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("upstream user_id=" + svc.user_id), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("credential=client " + svc.client_id), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("uri=/health/db?verbose=1"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find(token), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("forged"), std::string::npos) << r->body;

  HttpResult trail = get("/api/v1/audit?principal=" + svc.user_id, {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  bool audited = false;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    audited |= e["action"] == "authorize.authenticated" && e["resource"] == "GET /health/db" &&
               e["integration"] == "caddy-monitor" && e["client_ip"] == "127.0.0.2";
  }
  EXPECT_TRUE(audited) << trail.body;
  EXPECT_TRUE(output_shows(*server_, "\"remote\":\"127.0.0.2\""));
}

// Test that a missing or bad token gets latchkeyd's 401 through Caddy, a
// request no rule allows its 403, and neither reaches the upstream.
TEST_F(CaddyTest, RefusalsComeBackFromLatchkey) {
  HttpResult none = http_.send("GET", base() + "/health/db");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(none.body.find("upstream"), std::string::npos) << none.body;
  const Credentials svc = create_user_with_credentials("caddy-denied", "service", true);
  const std::string token = issue_token(svc);
  HttpResult unmatched = http_.send("DELETE", base() + "/apps/a/records", {bearer_header(token)});
  EXPECT_EQ(unmatched.status, 403) << unmatched.body;
  EXPECT_EQ(unmatched.body.find("upstream"), std::string::npos) << unmatched.body;
  EXPECT_EQ(unmatched.header("x-latchkey-reason"), "no_route_rule");
  // A client naming another request in nginx's header (Caddy passes client
  // headers on) cannot have that one decided instead: refused as ambiguous.
  HttpResult smuggled =
      http_.send("DELETE", base() + "/apps/a/records",
                 {bearer_header(token), "X-Original-URI: /health/db", "X-Original-Method: GET"});
  EXPECT_EQ(smuggled.status, 403) << smuggled.body;
  EXPECT_EQ(smuggled.header("x-latchkey-reason"), "ambiguous_original_request");
  EXPECT_EQ(smuggled.body.find("upstream"), std::string::npos) << smuggled.body;
}

// --- HAProxy send-proxy-v2 ------------------------------------------------

// examples/haproxy/haproxy.cfg and latchkeyd.toml as shipped, with the
// test's ports. Every request goes through HAProxy: latchkeyd trusts
// 127.0.0.1 and wants a PROXY header from it.
class HaproxyTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    config_path_ = "/tmp/latchkey-haproxy-test-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << example("haproxy/latchkeyd.toml");
    return {"--config", config_path_};
  }

  void SetUp() override {
    if (::access(kHaproxy, X_OK) != 0) {
      GTEST_SKIP() << kHaproxy << " is not installed (scripts/install-deps.sh installs it)";
    }
    ServerTest::SetUp();
    char tmpl[] = "/tmp/latchkey-haproxy-XXXXXX";
    prefix_ = ::mkdtemp(tmpl);
    port_ = free_port();
    std::string conf = example("haproxy/haproxy.cfg");
    conf = replace_all(conf, "127.0.0.1:8000", "127.0.0.1:" + std::to_string(port_));
    conf = replace_all(conf, "127.0.0.1:8080", authority_of(server_->url()));
    const std::string conf_path = prefix_ + "/haproxy.cfg";
    std::ofstream(conf_path) << conf;
    haproxy_ = std::make_unique<Child>(std::vector<std::string>{kHaproxy, "-db", "-f", conf_path},
                                       prefix_ + "/haproxy.out");
    if (!wait_until_answers(http_, *haproxy_, base() + "/healthz")) {
      FAIL() << "haproxy did not start: " << haproxy_->output();
    }
  }

  void TearDown() override {
    haproxy_.reset();
    if (!prefix_.empty()) std::filesystem::remove_all(prefix_);
    std::remove(config_path_.c_str());
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::string config_path_;
  std::string prefix_;
  int port_ = 0;
  std::unique_ptr<Child> haproxy_;
};

// Test that the client HAProxy relays, not HAProxy, is the one latchkeyd
// records, and that latchkeyd refuses a direct connection from the proxy's
// address that lacks the header.
TEST_F(HaproxyTest, ClientAddressArrivesWithSendProxyV2) {
  const AdminCredentials& admin = server_->admin();
  HttpResult issued = http_.send("POST", base() + "/api/v1/account/token",
                                 {basic_header(admin.client_id, admin.client_secret)});
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json_of(issued)["access_token"];
  auto me = raw_request(static_cast<std::uint16_t>(port_), "127.0.0.2", "", "GET",
                        "/api/v1/account/me", {bearer_header(token)});
  ASSERT_TRUE(me) << haproxy_->output();
  EXPECT_EQ(me->status, 200) << me->body;
  const auto ips = audited_ips(*this, http_, base(), token, admin.user_id);
  EXPECT_TRUE(contains(ips, "127.0.0.2")) << ::testing::PrintToString(ips);
  // Straight to latchkeyd from 127.0.0.1 (a trusted proxy) without a header.
  EXPECT_FALSE(raw_request(port_of(server_->url()), "127.0.0.1", "", "GET", "/healthz"));
}

// --- Envoy ext_authz (HTTP service) ---------------------------------------

// Envoy is not packaged for Debian: the requests below are the ones
// examples/envoy/envoy.yaml makes Envoy send (its path_prefix is read from
// the file), against latchkeyd with examples/envoy/latchkeyd.toml.
class EnvoyContractTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    config_path_ = "/tmp/latchkey-envoy-test-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << example("envoy/latchkeyd.toml");
    return {"--config", config_path_};
  }
  void TearDown() override { std::remove(config_path_.c_str()); }

  // path_prefix of the shipped envoy.yaml.
  static std::string path_prefix() {
    const std::string yaml = example("envoy/envoy.yaml");
    const std::string key = "\n                path_prefix: ";
    const auto at = yaml.find(key);
    if (at == std::string::npos) return "<no path_prefix in envoy.yaml>";
    const auto start = at + key.size();
    return yaml.substr(start, yaml.find('\n', start) - start);
  }

  // The check request Envoy makes for `method original_path`.
  HttpResult check(const std::string& method, const std::string& original_path,
                   std::vector<std::string> headers = {}) {
    headers.push_back("Content-Length: 0");
    headers.push_back("X-Forwarded-For: 203.0.113.77");
    headers.push_back("X-Envoy-Expected-Rq-Timeout-Ms: 2000");
    return http_.send(method, server_->url() + path_prefix() + original_path, headers);
  }

  std::string config_path_;
};

// Test that an allowed request gets 200 with the identity headers Envoy
// copies upstream, for any original method, and the decision is audited
// under the original request and the forwarded client.
TEST_F(EnvoyContractTest, AllowedGets200WithIdentityHeaders) {
  ASSERT_EQ(path_prefix(), "/v1/ext-authz");
  const Credentials svc = create_user_with_credentials("envoy-svc", "service", true);
  const std::string token = issue_token(svc);
  HttpResult ok =
      check("GET", "/health/db?verbose=1", {bearer_header(token), "X-Integration: envoy-monitor"});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("x-latchkey-user-id"), svc.user_id);
  EXPECT_EQ(ok.header("x-latchkey-user-name"), "envoy-svc");
  EXPECT_EQ(ok.header("x-latchkey-credential"), "client " + svc.client_id);
  // The rules see the original method: the rule allows GET only.
  HttpResult head = check("HEAD", "/health/db", {bearer_header(token)});
  EXPECT_EQ(head.status, 403);
  EXPECT_EQ(head.header("x-latchkey-reason"), "no_route_rule");

  HttpResult trail = get("/api/v1/audit?principal=" + svc.user_id, {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  bool audited = false;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    audited |= e["action"] == "authorize.authenticated" && e["resource"] == "GET /health/db" &&
               e["integration"] == "envoy-monitor" && e["client_ip"] == "203.0.113.77";
  }
  EXPECT_TRUE(audited) << trail.body;
}

// Test the refusals Envoy passes to the client: 401 with WWW-Authenticate,
// 403 with X-Latchkey-Reason (no rule; the permission model), each with a
// JSON body; the original method is what the rules see.
TEST_F(EnvoyContractTest, RefusalsCarryStatusReasonAndBody) {
  HttpResult none = check("GET", "/health/db");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(json_of(none)["error"], "unauthorized");  // no token at all

  const Credentials svc = create_user_with_credentials("envoy-denied", "service", true);
  const std::string token = issue_token(svc);
  HttpResult unmatched = check("DELETE", "/health/db", {bearer_header(token)});
  EXPECT_EQ(unmatched.status, 403) << unmatched.body;
  EXPECT_EQ(unmatched.header("x-latchkey-reason"), "no_route_rule");
  EXPECT_EQ(json_of(unmatched)["error"], "forbidden");

  // A rule that matches, naming an application that does not exist.
  HttpResult unknown = check("POST", "/apps/app_none/records", {bearer_header(token)});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(json_of(unknown)["reason"], "unknown_application");
  // The headers of the original request do not name another request here.
  HttpResult headers_ignored =
      check("DELETE", "/health/db",
            {bearer_header(token), "X-Original-Method: GET", "X-Forwarded-Method: GET"});
  EXPECT_EQ(headers_ignored.status, 403) << headers_ignored.body;
  // "/" is asked as the prefix and a slash: decided like any path (no rule
  // here names it).
  HttpResult root = check("GET", "/", {bearer_header(token)});
  EXPECT_EQ(root.status, 403) << root.body;
  EXPECT_EQ(root.header("x-latchkey-reason"), "no_route_rule");
}

// Test that docs/proxies.md quotes the example files the tests run, verbatim.
TEST(ProxyDocs, QuoteTheTestedExamples) {
  const std::string doc = read_text(std::string(LATCHKEY_SOURCE_DIR) + "/docs/proxies.md");
  for (const char* file : {"caddy/Caddyfile", "caddy/latchkeyd.toml", "haproxy/haproxy.cfg",
                           "haproxy/latchkeyd.toml", "envoy/envoy.yaml"}) {
    std::string text = example(file);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    EXPECT_NE(doc.find("\n" + text + "\n```"), std::string::npos)
        << "docs/proxies.md does not quote examples/" << file << " as it is";
  }
}

}  // namespace
}  // namespace latchkey::testing
