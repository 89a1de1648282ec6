// Gateway mode against real processes on loopback (docs/gateway.md, issue 5):
// latchkeyd proxies [[gateway_routes]] to a small upstream started by the
// test (support/test_upstream.h), which can hold responses until the test
// releases them. Nothing here sleeps: the tests wait for what the upstream
// saw, bounded by generous safety limits.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "integration/server_fixture.h"
#include "support/test_upstream.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";

// A port nothing listens on (bound, then closed).
int dead_port() {
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

// A raw client connection that sends one request and can be dropped
// without reading the answer (the abandoning client).
class RawClient {
 public:
  RawClient(const std::string& url, const std::string& request) {
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  ~RawClient() { close(); }
  // One recv() of whatever has arrived (blocking until something has).
  std::string read_once() {
    std::string out(256 * 1024, '\0');
    const ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

class GatewayTest : public ServerTest {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<TestUpstream>();
    ServerTest::SetUp();
  }
  void TearDown() override {
    std::remove(config_path_.c_str());
    server_.reset();    // latchkeyd first: it holds connections to the upstream
    upstream_.reset();  // then the upstream (releases whatever it still holds)
  }

  std::vector<std::string> server_args() override {
    const std::string up = upstream_->url();
    config_path_ = ::testing::TempDir() + "/latchkey-gateway-test-" + std::to_string(::getpid()) +
                   "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml";
    std::ofstream(config_path_) << R"toml(
[[gateway_routes]]
method = "*"
path = "/echo/apps/{app}/records"
upstream = ")toml" + up + R"toml("
action = "create_record"
application_param = "app"

[[gateway_routes]]
method = "*"
path = "/echo/{anything}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/forward/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"
forward_authorization = true

[[gateway_routes]]
method = "GET"
path = "/big/{n}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "*"
path = "/sized/{n}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/close/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/drop/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/early/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/continue/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/switch/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "*"
path = "/nolength/{x}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/status/{code}"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/hold/a"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/hold/b"
upstream = ")toml" + up + R"toml("
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/hold/slow"
upstream = ")toml" + up + R"toml("
action = "authenticated"
timeout_ms = 200

[[gateway_routes]]
method = "GET"
path = "/dead"
upstream = "http://127.0.0.1:)toml" + std::to_string(dead_port()) +
                                       R"toml("
action = "authenticated"
)toml";
    return {"--config", config_path_};
  }

  // A service user with API access, an API key of it, and a JWT from
  // seed 004's exchange.
  struct KeyHolder {
    Credentials user;
    std::string api_key;
    std::string key_id;
  };
  KeyHolder key_holder(const std::string& name, const std::string& scope = "write") {
    KeyHolder k;
    k.user = create_user_with_credentials(name, "service", true);
    HttpResult created =
        post("/api/v1/keys", {bearer_header(issue_token(k.user)), kJson},
             Json{{"name", "gw"}, {"scope", scope}, {"expires_in_days", 30}}.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    k.api_key = json_of(created).value("api_key", "");
    k.key_id = json_of(created).value("id", "");
    return k;
  }
  std::string jwt(const KeyHolder& k) {
    HttpResult r = post("/v2/auth/token/access", {kJson}, Json{{"api_key", k.api_key}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }

  // `n` calls in parallel, each on its own connection; join() collects them.
  class Parallel {
   public:
    Parallel(const std::string& url, const std::string& token, int n) : results_(n) {
      for (int i = 0; i < n; ++i) {
        threads_.emplace_back([this, url, token, i] {
          HttpClient client;
          results_[i] = client.send("GET", url, {bearer_header(token)});
        });
      }
    }
    ~Parallel() { join(); }
    const std::vector<HttpResult>& join() {
      for (auto& t : threads_) {
        if (t.joinable()) t.join();
      }
      return results_;
    }

   private:
    std::vector<HttpResult> results_;
    std::vector<std::thread> threads_;
  };

  std::string url(const std::string& path) const { return server_->url() + path; }
  std::string raw_get(const std::string& path, const std::string& token) const {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\n\r\n";
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::string config_path_;
};

// Test that an admitted request reaches the upstream with latchkey's
// identity headers, X-Forwarded-*, its body, and without Authorization,
// hop-by-hop or client-sent X-Latchkey-* headers; and that the upstream's
// status, headers and body come back.
TEST_F(GatewayTest, ProxiesWithIdentityHeaders) {
  const Credentials svc = create_user_with_credentials("gw-echo", "service", true);
  const std::string token = issue_token(svc);
  HttpResult r =
      send("POST", "/echo/hello?x=1",
           {bearer_header(token), "X-Latchkey-User-Id: usr_forged", "Connection: X-Secret-Hop",
            "X-Secret-Hop: 1", "X-Integration: gw-tests", "Content-Type: text/plain"},
           "request body");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-upstream"), "test");
  EXPECT_NE(r.header("set-cookie"), "");
  EXPECT_NE(r.body.find("target=/echo/hello?x=1"), std::string::npos) << r.body;

  const auto seen = upstream_->requests();
  ASSERT_EQ(seen.size(), 1u);
  const UpstreamRequest& req = seen[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/echo/hello?x=1");
  EXPECT_EQ(req.body, "request body");
  EXPECT_EQ(req.header("X-Latchkey-User-Id"), svc.user_id);
  EXPECT_EQ(req.header("X-Latchkey-User-Name"), "gw-echo");
  EXPECT_EQ(req.header("X-Latchkey-User-Type"), "service");
  EXPECT_EQ(req.header("X-Latchkey-Credential"), "client " + svc.client_id);
  EXPECT_FALSE(req.has_header("X-Latchkey-Key-Id"));
  EXPECT_EQ(req.header("X-Latchkey-Scope"), "read write");
  EXPECT_FALSE(req.has_header("Authorization"));
  EXPECT_FALSE(req.has_header("X-Secret-Hop"));
  EXPECT_EQ(req.header("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(req.header("X-Forwarded-Proto"), "http");
  EXPECT_NE(req.header("X-Forwarded-Host"), "");
  EXPECT_EQ(req.header("Host"), "127.0.0.1:" + std::to_string(upstream_->port()));
  EXPECT_EQ(req.header("X-Integration"), "gw-tests");
  EXPECT_EQ(req.header("X-Request-Id"), r.header("x-request-id"));
  for (const auto& [name, value] : req.headers) EXPECT_EQ(value.find(token), std::string::npos);

  // A route with forward_authorization passes the caller's token on.
  ASSERT_EQ(get("/forward/x", {bearer_header(token)}).status, 200);
  EXPECT_EQ(upstream_->requests().back().header("Authorization"), "Bearer " + token);

  // A key-derived token also names its key and scope.
  const KeyHolder k = key_holder("gw-key-echo");
  ASSERT_EQ(send("GET", "/echo/key", {bearer_header(jwt(k))}).status, 200);
  const UpstreamRequest last = upstream_->requests().back();
  EXPECT_EQ(last.header("X-Latchkey-Key-Id"), k.key_id);
  EXPECT_EQ(last.header("X-Latchkey-Key-Scope"), "write");
  EXPECT_EQ(last.header("X-Latchkey-Scope"), "read write");
  EXPECT_EQ(last.header("X-Latchkey-Credential").rfind("key ", 0), 0u);
}

// Test that the upstream's status and a large chunked body come back whole,
// and that keep-alive connections to the upstream are reused.
TEST_F(GatewayTest, StatusAndLargeChunkedBody) {
  const std::string token = issue_token(create_user_with_credentials("gw-big", "service", true));
  HttpResult big = get("/big/3000000", {bearer_header(token)});
  ASSERT_EQ(big.status, 200) << big.error;
  EXPECT_EQ(big.body.size(), 3'000'000u);
  EXPECT_TRUE(big.body == TestUpstream::body_pattern(3'000'000));
  EXPECT_EQ(big.header("content-type"), "application/octet-stream");

  // HEAD: the upstream's headers and length, no body.
  HttpResult head = send("HEAD", "/echo/head", {bearer_header(token)});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("x-upstream"), "test");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(upstream_->requests().back().method, "HEAD");

  HttpResult teapot = get("/status/418", {bearer_header(token)});
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body, "status body\n");
  HttpResult missing = get("/status/404", {bearer_header(token)});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "status body\n");
  // Sequential calls on one I/O thread's pool: fewer connections than calls.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(get("/echo/again", {bearer_header(token)}).status, 200);
  EXPECT_LT(upstream_->connections(), 8);
}

// Test issue 10's single writes: a small request body reaches the upstream
// together with the request head (one recv() took both), and a small answer
// reaches the caller with a Content-Length, head and body in one write (one
// recv() of the raw client took both), even when the upstream sent it
// chunked.
TEST_F(GatewayTest, SmallMessagesTravelInOneWrite) {
  const std::string token = issue_token(create_user_with_credentials("gw-one", "service", true));
  const std::string body(2000, 'b');
  HttpResult posted = send("POST", "/echo/one", {bearer_header(token)}, body);
  ASSERT_EQ(posted.status, 200) << posted.body;
  const UpstreamRequest seen = upstream_->requests().back();
  EXPECT_EQ(seen.body, body);
  EXPECT_EQ(seen.header("Content-Length"), "2000");
  EXPECT_EQ(seen.recv_calls, 1);
  EXPECT_EQ(posted.header("content-length"), std::to_string(posted.body.size()));
  EXPECT_EQ(posted.header("transfer-encoding"), "");

  // The upstream's chunked "hello", complete with its head: a plain body.
  HttpResult chunked = get("/nolength/x", {bearer_header(token)});
  ASSERT_EQ(chunked.status, 200) << chunked.body;
  EXPECT_EQ(chunked.body, "hello");
  EXPECT_EQ(chunked.header("content-length"), "5");
  EXPECT_EQ(chunked.header("transfer-encoding"), "");

  RawClient raw(server_->url(), raw_get("/echo/raw", token));
  const std::string got = raw.read_once();
  const auto head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << got;
  std::string head = got.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_EQ(head.rfind("http/1.1 200", 0), 0u) << head;
  EXPECT_EQ(head.find("transfer-encoding"), std::string::npos) << head;
  const auto length_at = head.find("\r\ncontent-length: ");
  ASSERT_NE(length_at, std::string::npos) << head;
  const std::size_t length = std::stoul(head.substr(length_at + 18));
  EXPECT_EQ(got.size() - head_end - 4, length) << got;  // the whole body came with the head
  EXPECT_NE(got.find("target=/echo/raw\n"), std::string::npos) << got;
}

// Test that bodies larger than the gateway's read buffer still stream
// through whole: with the upstream's Content-Length when it sent one,
// chunked when it did not.
TEST_F(GatewayTest, LargeBodiesStillStream) {
  const std::string token = issue_token(create_user_with_credentials("gw-large", "service", true));
  HttpResult sized = get("/sized/300000", {bearer_header(token)});
  ASSERT_EQ(sized.status, 200) << sized.error;
  EXPECT_EQ(sized.header("content-length"), "300000");
  EXPECT_TRUE(sized.body == TestUpstream::body_pattern(300000));
  HttpResult chunked = get("/big/300000", {bearer_header(token)});
  ASSERT_EQ(chunked.status, 200) << chunked.error;
  EXPECT_EQ(chunked.header("content-length"), "");
  EXPECT_NE(chunked.header("transfer-encoding").find("chunked"), std::string::npos);
  EXPECT_TRUE(chunked.body == TestUpstream::body_pattern(300000));
  HttpResult head = send("HEAD", "/sized/300000", {bearer_header(token)});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "300000");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(upstream_->connections(), 1);
}

// Test that calls on one client connection (one I/O thread) share one
// pooled upstream connection: many calls, small and streamed, GET, POST and
// HEAD, and the upstream accepted a single connection.
TEST_F(GatewayTest, PooledConnectionServesManyCalls) {
  const std::string token = issue_token(create_user_with_credentials("gw-pool", "service", true));
  for (int i = 0; i < 150; ++i) {
    const std::string path = "/echo/" + std::to_string(i);
    HttpResult r;
    switch (i % 3) {
      case 0:
        r = get(path, {bearer_header(token)});
        break;
      case 1:
        r = send("POST", path, {bearer_header(token)}, "call " + std::to_string(i));
        break;
      default:
        r = send("HEAD", path, {bearer_header(token)});
        break;
    }
    ASSERT_EQ(r.status, 200) << path << ": " << r.body;
    if (i % 3 != 2) {
      EXPECT_NE(r.body.find("target=" + path + "\n"), std::string::npos);
    }
    if (i % 25 == 0) {
      HttpResult big = get("/sized/100000", {bearer_header(token)});
      ASSERT_EQ(big.body.size(), 100000u);
    }
  }
  EXPECT_EQ(upstream_->requests().size(), 156u);
  EXPECT_EQ(upstream_->connections(), 1);
}

// Test that an upstream connection is not reused after the upstream said
// "Connection: close" or silently closed it: the next calls still succeed
// (on a fresh connection, or by the one retry of an idempotent request).
TEST_F(GatewayTest, ClosedUpstreamConnectionsAreNotReused) {
  const std::string token = issue_token(create_user_with_credentials("gw-close", "service", true));
  for (int i = 0; i < 3; ++i) {
    HttpResult closed = get("/close/" + std::to_string(i), {bearer_header(token)});
    ASSERT_EQ(closed.status, 200) << closed.body;
    EXPECT_EQ(closed.header("connection").find("close"), std::string::npos);  // hop-by-hop
    EXPECT_EQ(get("/echo/after-close", {bearer_header(token)}).status, 200);
    HttpResult dropped = get("/drop/" + std::to_string(i), {bearer_header(token)});
    ASSERT_EQ(dropped.status, 200) << dropped.body;
    HttpResult after = get("/echo/after-drop", {bearer_header(token)});
    EXPECT_EQ(after.status, 200) << after.body;
  }
  EXPECT_GE(upstream_->connections(), 6);
}

// Test that paths an upstream might read differently from latchkey are
// refused with 400 and never forwarded.
TEST_F(GatewayTest, AmbiguousPathsRefused) {
  const std::string token = issue_token(create_user_with_credentials("gw-path", "service", true));
  for (const char* path :
       {"/echo/%2e%2e", "/echo/a%2Fb", "/echo/x/", "/echo/a%5Cb",
        // an escaped unreserved character: "export" to the upstream
        "/echo/%65xport", "/echo/%7Eme", "/echo/a%5fb", "/echo/a;b", "/echo/a%3Bb", "/echo/a%zz",
        // an escaped overlong UTF-8 form of "." or "/"
        "/echo/%C0%AE%C0%AE", "/echo/%E0%80%AF"}) {
    HttpResult r = get(path, {bearer_header(token)});
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_EQ(json_of(r)["reason"], "ambiguous_path") << path;
  }
  EXPECT_TRUE(upstream_->requests().empty());
}

// Sends `bytes` on a new connection and reads until the server closes it;
// "<still open>" appended when it has not closed within 10 s.
std::string exchange_until_closed(const std::string& url, const std::string& bytes) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return "<connect or send failed>";
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      out += "<still open>";
      break;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Test that request smuggling, Host and raw non-ASCII target vectors sent
// to a gateway route are answered 400 and closed by latchkeyd, and that
// the upstream receives nothing (not even a connection); the same route
// forwards a well-framed request (docs/security/framing.md, issue 13).
TEST_F(GatewayTest, BadFramingNeverReachesTheUpstream) {
  const std::string token =
      issue_token(create_user_with_credentials("gw-framing", "service", true));
  const std::string auth = "Authorization: Bearer " + token + "\r\n";
  const std::string post = "POST /echo/x HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth;
  const std::string smuggled = "GET /echo/smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n";
  const std::string body = "0\r\n\r\n" + smuggled;
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {post + "Transfer-Encoding: xchunked\r\n\r\n" + body, "bad_transfer_encoding"},
      {post + "Transfer-Encoding: identity\r\n\r\n" + body, "bad_transfer_encoding"},
      {post + "Transfer-Encoding: chunked, identity\r\n\r\n" + body, "bad_transfer_encoding"},
      {post + "Transfer-Encoding: chunked, chunked\r\n\r\n" + body, "bad_transfer_encoding"},
      {"POST /echo/x HTTP/1.0\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n" + body,
       "transfer_encoding_http10"},
      {post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + body,
       "te_with_content_length"},
      {post + "Content-Length: 0\r\nContent-Length: 48\r\n\r\n" + smuggled,
       "duplicate_content_length"},
      {post + "X-A: b\r\n c\r\nContent-Length: 0\r\n\r\n", "obs_fold"},
      {"GET /echo/x HTTP/1.1\r\n" + auth + "\r\n", "missing_host"},
      {"GET /echo/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + "\r\n", "duplicate_host"},
      {"GET /echo/x HTTP/1.1\r\nHost: a@b\r\n" + auth + "\r\n", "bad_host"},
      {"GET /echo/\xc0\xae\xc0\xae HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n",
       "non_ascii_target"},
  };
  for (const auto& [bytes, reason] : vectors) {
    SCOPED_TRACE(reason);
    const std::string answer = exchange_until_closed(server_->url(), bytes);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
    EXPECT_NE(answer.find("\"reason\":\"" + reason + "\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("<still open>"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("\nHTTP/1."), std::string::npos) << "a second answer: " << answer;
  }
  EXPECT_TRUE(upstream_->requests().empty());
  EXPECT_EQ(upstream_->connections(), 0);

  // The control: the same route, well framed, reaches the upstream.
  const std::string answer = exchange_until_closed(
      server_->url(), post + "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer;
  ASSERT_EQ(upstream_->requests().size(), 1u);
  EXPECT_EQ(upstream_->requests().front().target, "/echo/x");
  EXPECT_EQ(upstream_->requests().front().body, "hello");
}

// Test that a read-only principal (a read-scope API key's token, a
// "read"-scope OAuth token) may only GET, HEAD and OPTIONS through an
// "authenticated" route: any other method is 403 insufficient_scope and
// never reaches the upstream; every principal's scope is sent upstream.
TEST_F(GatewayTest, ReadOnlyTokensOnlyReadOnAuthenticatedRoutes) {
  const KeyHolder ro = key_holder("gw-ro-key", "read");
  const std::string ro_key_token = jwt(ro);
  const Credentials svc = create_user_with_credentials("gw-ro-oauth", "service", true);
  HttpResult oauth = post("/oauth/token",
                          {"Content-Type: application/x-www-form-urlencoded",
                           basic_header(svc.client_id, svc.client_secret)},
                          "grant_type=client_credentials&scope=read");
  ASSERT_EQ(oauth.status, 200) << oauth.body;
  const std::string ro_oauth_token = json_of(oauth).value("access_token", "");

  for (const std::string& token : {ro_key_token, ro_oauth_token}) {
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      HttpResult r = send(method, "/echo/write", {bearer_header(token)}, "{}");
      EXPECT_EQ(r.status, 403) << method << ": " << r.body;
      EXPECT_EQ(json_of(r)["error"], "forbidden") << r.body;
      EXPECT_EQ(json_of(r)["reason"], "insufficient_scope") << r.body;
      EXPECT_EQ(r.header("x-latchkey-reason"), "insufficient_scope");
    }
  }
  EXPECT_TRUE(upstream_->requests().empty());

  for (const std::string& token : {ro_key_token, ro_oauth_token}) {
    for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
      HttpResult r = send(method, "/echo/read", {bearer_header(token)});
      EXPECT_EQ(r.status, 200) << method << ": " << r.body;
      EXPECT_EQ(upstream_->requests().back().header("X-Latchkey-Scope"), "read") << method;
    }
  }
  EXPECT_EQ(upstream_->requests().back().header("X-Latchkey-Credential"),
            "client " + svc.client_id);
  HttpResult ro_get = send("GET", "/echo/read", {bearer_header(ro_key_token)});
  ASSERT_EQ(ro_get.status, 200);
  EXPECT_EQ(upstream_->requests().back().header("X-Latchkey-Key-Scope"), "read");

  // A write key and an account token write.
  const KeyHolder rw = key_holder("gw-rw-key");
  HttpResult written = send("POST", "/echo/write", {bearer_header(jwt(rw))}, "{}");
  EXPECT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(upstream_->requests().back().header("X-Latchkey-Scope"), "read write");
  HttpResult account = send("DELETE", "/echo/write", {bearer_header(issue_token(svc))});
  EXPECT_EQ(account.status, 200) << account.body;

  // The refusals are in the audit trail.
  HttpResult trail =
      get("/api/v1/audit?principal=" + ro.user.user_id, {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  int refused = 0;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    if (e["action"] == "gateway.authenticated" && e["decision"] == "deny" &&
        e["reason"] == "insufficient_scope") {
      refused += e["count"].get<int>();  // calls, not rows
    }
  }
  EXPECT_EQ(refused, 4) << trail.body;
}

// Test that headers which would undo latchkey's checks never reach the
// upstream, whatever their spelling ('_' for '-', any case): forged
// identity, client address, scheme, path and method overrides.
TEST_F(GatewayTest, SpoofingHeadersDropped) {
  const Credentials svc = create_user_with_credentials("gw-spoof", "service", true);
  HttpResult r = send("GET", "/echo/spoof",
                      {bearer_header(issue_token(svc)),
                       "X_Latchkey_User_Id: usr_forged",
                       "x_latchkey_scope: read write",
                       "X-LATCHKEY_Key-Scope: write",
                       "Forwarded: for=1.2.3.4;proto=https",
                       "X-Real-IP: 1.2.3.4",
                       "X_Real_IP: 1.2.3.4",
                       "X-Forwarded-Port: 443",
                       "X-Forwarded-Prefix: /admin",
                       "X-HTTP-Method-Override: DELETE",
                       "X_HTTP_Method_Override: DELETE",
                       "X-HTTP-Method: DELETE",
                       "X-Method-Override: DELETE",
                       "X-Original-URL: /admin",
                       "X_Original_URL: /admin",
                       "X-Rewrite-URL: /admin",
                       "X_Forwarded_For: 1.2.3.4",
                       "X_Forwarded_Proto: https",
                       "X_Forwarded_Host: evil",
                       "X-Forwarded-For: 10.9.9.9",
                       "X-Kept_Header: yes"});
  ASSERT_EQ(r.status, 200) << r.body;
  const UpstreamRequest req = upstream_->requests().back();
  auto normalised = [](std::string name) {
    for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    return name;
  };
  std::map<std::string, int> count;
  for (const auto& [name, value] : req.headers) {
    ++count[normalised(name)];
    EXPECT_EQ(name.find("atchkey_"), std::string::npos) << name;
  }
  for (const char* dropped : {"forwarded", "x-real-ip", "x-forwarded-port", "x-forwarded-prefix",
                              "x-http-method-override", "x-http-method", "x-method-override",
                              "x-original-url", "x-rewrite-url"}) {
    EXPECT_EQ(count[dropped], 0) << dropped;
  }
  for (const char* once : {"x-latchkey-user-id", "x-latchkey-scope", "x-forwarded-for",
                           "x-forwarded-proto", "x-forwarded-host"}) {
    EXPECT_EQ(count[once], 1) << once;
  }
  EXPECT_EQ(count["x-latchkey-key-scope"], 0);  // an account token
  EXPECT_EQ(req.header("X-Latchkey-User-Id"), svc.user_id);
  EXPECT_EQ(req.header("X-Latchkey-Scope"), "read write");
  // latchkeyd trusts no proxy here: the client's own chain is not relayed.
  EXPECT_EQ(req.header("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(req.header("X-Forwarded-Proto"), "http");
  EXPECT_NE(req.header("X-Forwarded-Host"), "evil");
  EXPECT_EQ(req.header("X-Kept_Header"), "yes");  // not one of latchkey's
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/echo/spoof");
}

// Test that the upstream's Server and RateLimit-* headers do not reach the
// caller: latchkey names itself, and only latchkey's own limits are shown.
TEST_F(GatewayTest, UpstreamServerAndRateLimitHeadersDropped) {
  const std::string token = issue_token(create_user_with_credentials("gw-srv", "service", true));
  HttpResult r = get("/echo/server", {bearer_header(token)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-upstream"), "test");
  EXPECT_EQ(r.header("server"), "latchkey");
  for (const char* name :
       {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy"}) {
    EXPECT_EQ(r.header(name), "") << name;  // an account token: no key limit to show
  }
  // A key's token: latchkey's own numbers only.
  const KeyHolder k = key_holder("gw-srv-key");
  HttpResult keyed = get("/echo/server", {bearer_header(jwt(k))});
  ASSERT_EQ(keyed.status, 200) << keyed.body;
  EXPECT_EQ(keyed.header("ratelimit-limit"), "60");
  EXPECT_NE(keyed.header("ratelimit-policy"), "1000;w=60");
  EXPECT_EQ(keyed.header("server"), "latchkey");
}

// Test that interim 1xx responses from the upstream are skipped: the caller
// gets the final response, and the pooled connection serves the next call
// with its own answer; a 101 is a 502 and its connection is closed.
TEST_F(GatewayTest, InterimResponsesSkipped) {
  const std::string token = issue_token(create_user_with_credentials("gw-1xx", "service", true));
  HttpResult switched = get("/switch/1", {bearer_header(token)});
  EXPECT_EQ(switched.status, 502) << switched.body;
  EXPECT_EQ(json_of(switched)["reason"], "upstream_error") << switched.body;
  ASSERT_TRUE(upstream_->wait_closed(1));  // never pooled

  for (const std::string path : {"/early/1", "/continue/1", "/early/2", "/continue/2"}) {
    HttpResult r = get(path, {bearer_header(token)});
    ASSERT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_NE(r.body.find("target=" + path + "\n"), std::string::npos) << r.body;
    EXPECT_EQ(r.header("link"), "") << path;
    EXPECT_EQ(r.header("x-upstream"), "test");
    std::string after = "/echo/after" + path;
    std::replace(after.begin() + 6, after.end(), '/', '-');  // one segment: /echo/{anything}
    HttpResult next = get(after, {bearer_header(token)});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_NE(next.body.find("target=" + after + "\n"), std::string::npos) << next.body;
  }
  // Keep-alive still works across the interim responses.
  EXPECT_LT(upstream_->connections(), 6);
}

// Test that HEAD through the gateway carries no Content-Length when the
// upstream's answer has none (not "Content-Length: 0"), and the length
// when it has one.
TEST_F(GatewayTest, HeadWithoutUpstreamLength) {
  const std::string token = issue_token(create_user_with_credentials("gw-head", "service", true));
  HttpResult got = get("/nolength/x", {bearer_header(token)});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, "hello");
  HttpResult head = send("HEAD", "/nolength/x", {bearer_header(token)});
  ASSERT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.header("content-length"), "");
  EXPECT_EQ(head.header("x-upstream"), "test");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(upstream_->requests().back().method, "HEAD");
  // The connection is still good for the next call.
  EXPECT_EQ(get("/nolength/y", {bearer_header(token)}).body, "hello");

  HttpResult echo_head = send("HEAD", "/echo/head", {bearer_header(token)});
  ASSERT_EQ(echo_head.status, 200);
  EXPECT_NE(echo_head.header("content-length"), "");
  EXPECT_NE(echo_head.header("content-length"), "0");
}

// Test that a request without a token, or with a bad one, gets 401 and
// never reaches the upstream.
TEST_F(GatewayTest, NoTokenIs401) {
  HttpResult none = get("/echo/x");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  HttpResult bad = get("/echo/x", {bearer_header("lk_at_bogus")});
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_EQ(json_of(bad)["error"], "invalid_token");
  EXPECT_TRUE(upstream_->requests().empty());
}

// Test that the permission model decides as /v1/authorize does: 403 with
// the reason while the entitlement is missing, then through once granted.
TEST_F(GatewayTest, PermissionDeniedIs403WithReason) {
  const std::vector<std::string> admin_json = {bearer_header(admin_token()), kJson};
  const Credentials svc = create_user_with_credentials("gw-writer", "service", true);
  HttpResult app = post("/api/v1/applications", admin_json,
                        R"({"name":"gw-app","steps":[{"name":"intake","origin":true}]})");
  ASSERT_EQ(app.status, 201) << app.body;
  const std::string app_id = json_of(app)["id"];
  HttpResult set =
      post("/api/v1/permission-sets", admin_json,
           Json{{"name", "gw-intake"}, {"steps", {{json_of(app)["origin_step"], "edit"}}}}.dump());
  ASSERT_EQ(set.status, 201) << set.body;
  HttpResult role = post("/api/v1/roles", admin_json,
                         Json{{"name", "Integration: GW"},
                              {"modules", {"RECORDS"}},
                              {"permission_sets", {json_of(set)["id"]}}}
                             .dump());
  ASSERT_EQ(role.status, 201) << role.body;
  ASSERT_EQ(
      send("PUT",
           "/api/v1/users/" + svc.user_id + "/roles/" + json_of(role)["id"].get<std::string>(),
           admin_json)
          .status,
      200);
  const std::string token = issue_token(svc);
  const std::string path = "/echo/apps/" + app_id + "/records";

  HttpResult unknown = send("POST", "/echo/apps/app_doesnotexist/records", {bearer_header(token)});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(json_of(unknown)["reason"], "unknown_application") << unknown.body;

  HttpResult denied = send("POST", path, {bearer_header(token)}, "{}");
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(json_of(denied)["reason"], "application_entitlement_missing") << denied.body;
  EXPECT_EQ(json_of(denied)["action"], "create_record");
  EXPECT_EQ(denied.header("x-latchkey-reason"), "application_entitlement_missing");
  EXPECT_TRUE(upstream_->requests().empty());

  ASSERT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_id, admin_json,
                 R"({"access":"edit"})")
                .status,
            200);
  HttpResult allowed = send("POST", path, {bearer_header(token)}, "{}");
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  ASSERT_EQ(upstream_->requests().size(), 1u);

  // Every decision is in the audit trail.
  HttpResult trail = get("/api/v1/audit?principal=" + svc.user_id, {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  int allow = 0, deny = 0;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    if (e["action"] != "gateway.create_record") continue;
    (e["decision"] == "allow" ? allow : deny) += e["count"].get<int>();  // calls, not rows
  }
  EXPECT_EQ(allow, 1) << trail.body;
  EXPECT_EQ(deny, 2) << trail.body;  // unknown_application, application_entitlement_missing
}

// Test seed 004's "5 concurrent requests per endpoint": five calls of one
// key on one route are in flight at the upstream, the sixth is refused with
// 429 at once; another route and another key each have their own five; and
// the slots come back when the calls end.
TEST_F(GatewayTest, SixthConcurrentCallRefused) {
  const KeyHolder k = key_holder("gw-conc");
  const KeyHolder other = key_holder("gw-conc-other");
  const std::string token = jwt(k);
  const std::string other_token = jwt(other);
  {
    Parallel five(url("/hold/a"), token, 5);
    ASSERT_TRUE(upstream_->wait_held(5));
    HttpResult sixth = get("/hold/a", {bearer_header(token)});
    EXPECT_EQ(sixth.status, 429) << sixth.body;
    EXPECT_NE(sixth.header("retry-after"), "");
    EXPECT_EQ(upstream_->held(), 5);
    // Another route of the same key, and another key on the same route.
    Parallel other_route(url("/hold/b"), token, 5);
    Parallel other_key(url("/hold/a"), other_token, 5);
    ASSERT_TRUE(upstream_->wait_held(15));
    EXPECT_EQ(get("/hold/b", {bearer_header(token)}).status, 429);
    EXPECT_EQ(get("/hold/a", {bearer_header(other_token)}).status, 429);
    upstream_->release(15);
    for (Parallel* p : {&five, &other_route, &other_key}) {
      for (const HttpResult& r : p->join()) EXPECT_EQ(r.status, 200) << r.body;
    }
  }
  // Every slot came back: five in flight again, the sixth refused again.
  Parallel again(url("/hold/a"), token, 5);
  ASSERT_TRUE(upstream_->wait_held(5));
  EXPECT_EQ(get("/hold/a", {bearer_header(token)}).status, 429);
  upstream_->release(5);
  for (const HttpResult& r : again.join()) EXPECT_EQ(r.status, 200) << r.body;
}

// Test that slots come back when the upstream times out (504) and when it
// is unreachable (502): more calls than the limit in a row, none refused.
TEST_F(GatewayTest, SlotsComeBackAfterTimeoutAndUnreachable) {
  const KeyHolder k = key_holder("gw-fail");
  const std::string token = jwt(k);
  {
    Parallel slow(url("/hold/slow"), token, 5);
    for (const HttpResult& r : slow.join()) {
      EXPECT_EQ(r.status, 504) << r.body;
      EXPECT_EQ(json_of(r)["error"], "gateway_timeout") << r.body;
    }
  }
  HttpResult sixth = get("/hold/slow", {bearer_header(token)});
  EXPECT_EQ(sixth.status, 504) << sixth.body;
  for (int i = 0; i < 7; ++i) {
    HttpResult r = get("/dead", {bearer_header(token)});
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_EQ(json_of(r)["error"], "bad_gateway") << r.body;
    EXPECT_EQ(json_of(r)["reason"], "upstream_unreachable") << r.body;
  }
  HttpResult metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find(
          R"(latchkey_gateway_upstream_requests_total{route="GET /dead",outcome="unreachable"} 7)"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find(
          R"(latchkey_gateway_upstream_requests_total{route="GET /hold/slow",outcome="timeout"} 6)"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("latchkey_gateway_upstream_seconds"), std::string::npos);
}

// Test that slots come back when clients abandon their calls (close the
// connection while the upstream holds the answer): the upstream sees its
// connection closed, and five new calls are in flight again.
TEST_F(GatewayTest, SlotsComeBackWhenClientAbandons) {
  const KeyHolder k = key_holder("gw-abandon");
  const std::string token = jwt(k);
  {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 5; ++i) {
      clients.push_back(std::make_unique<RawClient>(server_->url(), raw_get("/hold/a", token)));
    }
    ASSERT_TRUE(upstream_->wait_held(5));
    EXPECT_EQ(get("/hold/a", {bearer_header(token)}).status, 429);
    clients.clear();  // abandon all five
    ASSERT_TRUE(upstream_->wait_abandoned(5));
  }
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_->url(), raw_get("/hold/a", token)));
  }
  ASSERT_TRUE(upstream_->wait_held(5));
  EXPECT_EQ(get("/hold/a", {bearer_header(token)}).status, 429);
}

// Test that a slot comes back when the client goes away while the body
// streams: five downloads that are never read hold the five slots; once the
// clients close, the upstream connections are closed too and five new
// downloads are admitted.
TEST_F(GatewayTest, SlotsComeBackWhenClientAbandonsMidBody) {
  const KeyHolder k = key_holder("gw-mid-body");
  const std::string token = jwt(k);
  const std::string huge = "/big/1000000000";  // 1 GB: never read to its end
  {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 5; ++i) {
      clients.push_back(std::make_unique<RawClient>(server_->url(), raw_get(huge, token)));
    }
    ASSERT_TRUE(upstream_->wait_requests(5));
    EXPECT_EQ(get(huge, {bearer_header(token)}).status, 429);
    EXPECT_EQ(upstream_->requests().size(), 5u);
    clients.clear();
    ASSERT_TRUE(upstream_->wait_closed(5));
  }
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_->url(), raw_get(huge, token)));
  }
  ASSERT_TRUE(upstream_->wait_requests(10));
  EXPECT_EQ(get(huge, {bearer_header(token)}).status, 429);
}

// Test seed 004's "60 requests per minute per API key" through the
// gateway: one count across many connections and two JWTs of the same key;
// the 61st in the window is refused with Retry-After; the window slides.
TEST_F(GatewayTest, RateLimitAcrossConnectionsAndTokens) {
  const KeyHolder k = key_holder("gw-rate");
  const std::vector<std::string> tokens = {jwt(k), jwt(k)};
  ASSERT_NE(tokens[0], tokens[1]);
  HttpResult first = get("/echo/rate", {bearer_header(tokens[0])});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("ratelimit-limit"), "60");
  const int remaining = std::stoi(first.header("ratelimit-remaining"));
  ASSERT_GT(remaining, 40);
  for (int i = 0; i < remaining; ++i) {
    HttpClient fresh;  // a new connection each time
    HttpResult r = fresh.send("GET", url("/echo/rate"), {bearer_header(tokens[i % 2])});
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
  }
  HttpClient fresh;
  HttpResult refused = fresh.send("GET", url("/echo/rate"), {bearer_header(tokens[1])});
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.header("retry-after"), "");
  EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
  const std::size_t reached = upstream_->requests().size();
  EXPECT_EQ(reached, static_cast<std::size_t>(remaining + 1));

  server_->advance_clock_seconds(61);
  HttpResult later = get("/echo/rate", {bearer_header(tokens[0])});
  EXPECT_EQ(later.status, 200) << later.body;
}

}  // namespace
}  // namespace latchkey::testing
