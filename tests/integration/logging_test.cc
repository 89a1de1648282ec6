// Logs and telemetry against a real latchkeyd (docs/logging.md,
// docs/metrics.md; issue 15 item 6): with --log-format json every line the
// server writes is one JSON object with level and time; text stays
// readable; build_info and process metrics are on /metrics; a W3C
// traceparent reaches a gateway upstream as latchkeyd's hop of the same
// trace and is in the access log.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "integration/server_fixture.h"
#include "support/test_upstream.h"

namespace latchkey::testing {
namespace {

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Sends raw bytes to the server and returns what it answers (one recv).
std::string raw_exchange(const std::string& url, const std::string& bytes) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  std::string out(64 * 1024, '\0');
  const ssize_t n = ::recv(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  ::close(fd);
  return out;
}

class LogsTest : public ServerTest {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<TestUpstream>();
    ServerTest::SetUp();
  }
  void TearDown() override {
    server_.reset();
    upstream_.reset();
    std::remove(config_path_.c_str());
  }
  std::vector<std::string> server_args() override {
    config_path_ = ::testing::TempDir() + "/latchkey-logs-test-" + std::to_string(::getpid()) +
                   "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml";
    std::ofstream(config_path_) << "[[gateway_routes]]\nmethod = \"*\"\npath = \"/echo/{x}\"\n"
                                   "upstream = \""
                                << upstream_->url() << "\"\naction = \"authenticated\"\n";
    return {"--config", config_path_, "--log-format", "json"};
  }

  // Every line of the server's output (stdout and stderr) as JSON, failing
  // the test for any line that is not a JSON object with level and time.
  std::vector<Json> json_lines() {
    std::vector<Json> out;
    for (const std::string& line : lines_of(server_->output())) {
      const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      if (!j.is_object()) continue;
      EXPECT_TRUE(j.contains("level") && j["level"].is_string()) << line;
      EXPECT_TRUE(j.contains("time") && j["time"].is_string()) << line;
      EXPECT_TRUE(j.contains("msg") && j["msg"].is_string()) << line;
      EXPECT_TRUE(j.contains("logger") && j["logger"].is_string()) << line;
      if (j.contains("time") && j["time"].is_string()) {
        EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(),
                                     std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
            << line;
      }
      out.push_back(j);
    }
    return out;
  }

  // The access-log line of the request with this X-Request-Id.
  static Json access_line(const std::vector<Json>& lines, const std::string& request_id) {
    for (const Json& j : lines) {
      if (j.value("logger", "") == "access" && j.value("request_id", "") == request_id) return j;
    }
    return Json();
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::string config_path_;
};

// Test that with --log-format json every line latchkeyd writes through
// start, first-start bootstrap, requests (errors and a malformed one
// included), a gateway call and shutdown is one JSON object with level,
// time, logger and msg, and that no line holds the admin's secret.
TEST_F(LogsTest, EveryLineIsJsonInJsonFormat) {
  const std::string token = admin_token();
  EXPECT_EQ(get("/healthz").status, 200);
  // Raw bytes, not UTF-8: the access line is still valid JSON (curl would escape them).
  const std::string not_found = raw_exchange(
      server_->url(), "GET /nope/\xC3\xA9\xFF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(not_found.starts_with("HTTP/1.1 4")) << not_found;  // Beast refuses it: 400
  EXPECT_EQ(issue("no-such-client", "wrong").status, 401);
  EXPECT_EQ(get("/echo/one", {bearer_header(token), "X-Request-Id: gw-1"}).status, 200);
  const std::string malformed =
      raw_exchange(server_->url(), "GET / HTTP/1.1\r\nBad Header\r\n\r\n");
  EXPECT_TRUE(malformed.starts_with("HTTP/1.1 400")) << malformed;
  ASSERT_EQ(server_->stop_gracefully(), 0);

  const std::string output = server_->output();
  EXPECT_EQ(output.find(server_->admin().client_secret), std::string::npos) << output;
  const std::vector<Json> lines = json_lines();
  ASSERT_FALSE(HasFailure()) << output;
  // Start, bootstrap, access lines, shutdown: all there, all JSON.
  auto has = [&](std::string_view logger, std::string_view msg_part) {
    return std::any_of(lines.begin(), lines.end(), [&](const Json& j) {
      return j.value("logger", "") == logger &&
             j.value("msg", "").find(msg_part) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("latchkeyd", "listening on")) << output;
  EXPECT_TRUE(has("bootstrap", "first start")) << output;
  EXPECT_TRUE(has("latchkeyd", "draining")) << output;
  EXPECT_TRUE(has("latchkeyd", "latchkeyd stopped")) << output;
  const Json bootstrap = *std::find_if(lines.begin(), lines.end(), [](const Json& j) {
    return j.value("logger", "") == "bootstrap";
  });
  EXPECT_EQ(bootstrap["client_id"], server_->admin().client_id);
  EXPECT_FALSE(bootstrap.contains("client_secret"));  // it is in the bootstrap file
  EXPECT_TRUE(bootstrap.value("bootstrap_file", "").ends_with("bootstrap.json"));
  int access = 0;
  for (const Json& j : lines) {
    if (j.value("logger", "") != "access") continue;
    ++access;
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["msg"], "request");
    EXPECT_TRUE(j["status"].is_number());
    EXPECT_EQ(j.value("trace_id", "").size(), 32u) << j;
    EXPECT_EQ(j.value("span_id", "").size(), 16u) << j;
  }
  EXPECT_GE(access, 6);
  const Json gateway = access_line(lines, "gw-1");
  ASSERT_TRUE(gateway.is_object()) << output;
  EXPECT_EQ(gateway["path"], "/echo/one");
  EXPECT_EQ(gateway["status"], 200);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const Json& j) {
    return j.value("path", "").starts_with("/nope/\xC3\xA9\xEF\xBF\xBD");
  })) << output;
}

// Test that a valid traceparent reaches the upstream with the same trace id
// and latchkeyd's span as parent, with its tracestate, that the access log
// has both ids, and that the response does not carry a traceparent.
TEST_F(LogsTest, TraceparentPropagatesToTheUpstream) {
  const std::string token = admin_token();
  const std::string incoming = "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01";
  const HttpResult r =
      get("/echo/traced", {bearer_header(token), "X-Request-Id: traced-1",
                           "traceparent: " + incoming, "tracestate: vendor=abc, other=1"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("traceparent"), "");
  const auto requests = upstream_->requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string sent = requests[0].header("traceparent");
  const std::regex shape("00-([0-9a-f]{32})-([0-9a-f]{16})-01");
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(sent, parts, shape)) << sent;
  EXPECT_EQ(parts[1].str(), kTraceId);
  EXPECT_NE(parts[2].str(), kParentId);  // latchkeyd's own span
  EXPECT_EQ(requests[0].header("tracestate"), "vendor=abc,other=1");

  ASSERT_EQ(server_->stop_gracefully(), 0);
  const Json line = access_line(json_lines(), "traced-1");
  ASSERT_TRUE(line.is_object()) << server_->output();
  EXPECT_EQ(line["trace_id"], kTraceId);
  EXPECT_EQ(line["span_id"], parts[2].str());
}

// Test that an invalid traceparent is not passed on as is: the upstream
// gets a new trace (and no tracestate), and so does the access log.
TEST_F(LogsTest, InvalidTraceparentStartsANewTrace) {
  const std::string token = admin_token();
  const std::string invalid[] = {
      "00-" + std::string(32, '0') + "-" + std::string(kParentId) + "-01",      // zero trace id
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + std::string(kParentId) + "-01",  // uppercase
      "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01-extra",
  };
  for (const std::string& value : invalid) {
    ASSERT_EQ(
        get("/echo/bad", {bearer_header(token), "traceparent: " + value, "tracestate: vendor=abc"})
            .status,
        200);
  }
  const auto requests = upstream_->requests();
  ASSERT_EQ(requests.size(), 3u);
  std::set<std::string> traces;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string sent = requests[i].header("traceparent");
    EXPECT_NE(sent, invalid[i]);
    EXPECT_TRUE(std::regex_match(sent, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"))) << sent;
    EXPECT_EQ(sent.find(kTraceId), std::string::npos) << sent;
    EXPECT_FALSE(requests[i].has_header("tracestate"));
    traces.insert(sent.substr(3, 32));
  }
  EXPECT_EQ(traces.size(), 3u);
}

// Test that /metrics has build_info and sane process metrics.
TEST_F(LogsTest, MetricsHaveBuildInfoAndProcess) {
  const std::string text = get("/metrics").body;
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(\nlatchkey_build_info\{version="[0-9.]+",commit="[^"]+",)"
                       R"(build_type="[^"]*",compiler="[^"]+"\} 1\n)")))
      << text;
  auto value = [&](const std::string& name) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+]+)\n"))) {
      ADD_FAILURE() << name << " missing:\n" << text;
      return -1.0;
    }
    return std::stod(m[1].str());
  };
  EXPECT_GT(value("process_resident_memory_bytes"), 1e6);
  EXPECT_GT(value("process_open_fds"), 3);
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GE(value("process_threads"), 2);
  EXPECT_GE(value("process_cpu_seconds_total"), 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = value("process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 600);  // started by this test
}

// Test that text format stays readable: a timestamp and a level first, the
// access line as key=value pairs, no JSON.
TEST(LogsTextTest, TextFormatIsReadable) {
  LatchkeydProcess server({"--log-format", "text"});
  HttpClient http;
  EXPECT_EQ(http.send("GET", server.url() + "/healthz", {"X-Request-Id: text-1"}).status, 200);
  ASSERT_EQ(server.stop_gracefully(), 0);
  const std::string output = server.output();
  const std::regex head(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|warn|error) .*)");
  int log_lines = 0;
  bool access = false;
  bool listening = false;
  for (const std::string& line : lines_of(output)) {
    EXPECT_FALSE(line.starts_with("{")) << line;
    if (!std::regex_match(line, head)) continue;  // the first-start banner's text
    ++log_lines;
    if (line.find(" info request request_id=text-1 ") != std::string::npos) {
      access = true;
      EXPECT_NE(line.find(" path=/healthz "), std::string::npos) << line;
      EXPECT_NE(line.find(" status=200 "), std::string::npos) << line;
    }
    if (line.find("latchkeyd listening on") != std::string::npos) listening = true;
  }
  EXPECT_GE(log_lines, 4) << output;
  EXPECT_TRUE(access) << output;
  EXPECT_TRUE(listening) << output;
  EXPECT_NE(output.find("Client Secret:"), std::string::npos);  // the text banner, as before
}

}  // namespace
}  // namespace latchkey::testing
