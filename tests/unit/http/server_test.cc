// The HTTP server over real loopback sockets: a small router runs in-process
// on port 0, clients are raw POSIX sockets (to send exactly the bytes a test
// needs, including broken ones) and libcurl for TLS. Timeouts are the
// server's real timers, set short; waits are bounded polls.
#include "http/server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "http/access_log.h"
#include "http/message.h"
#include "http/router.h"
#include "raw_connection.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

bool is_generated_request_id(const std::optional<std::string>& id) {
  return id && id->size() == 16 && id->find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A handler that waits until the test opens the gate.
class Gate {
 public:
  void enter_and_wait() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait_for(lock, 5s, [&] { return open_; });
  }
  bool wait_entered(int count = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return entered_ >= count; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add("GET", "/hello", Dispatch::kInline, [](const Request&, const PathParams&) {
      return Response::json(200, R"({"hello":"world"})");
    });
    router_.add("POST", "/echo", Dispatch::kInline, [](const Request& r, const PathParams&) {
      Response response = Response::json(200, r.body);
      response.principal_for_log = "user-1";
      return response;
    });
    router_.add("GET", "/users/{id}", Dispatch::kInline, [](const Request& r, const PathParams& p) {
      return Response::json(200, nlohmann::json{{"id", p.get("id")},
                                                {"path", r.path()},
                                                {"query", r.query()},
                                                {"remote", r.remote_ip}}
                                     .dump());
    });
    router_.add("GET", "/request-id", Dispatch::kInline, [](const Request& r, const PathParams&) {
      return Response::json(200, nlohmann::json{{"request_id", r.request_id}}.dump());
    });
    router_.add("GET", "/throw", Dispatch::kInline,
                [](const Request&, const PathParams&) -> Response {
                  throw std::runtime_error("handler bug");
                });
    router_.add("GET", "/gate", Dispatch::kBlocking, [this](const Request&, const PathParams&) {
      gate_.enter_and_wait();
      return Response::json(200, R"({"gate":"passed"})");
    });
    router_.add("POST", "/blocking-echo", Dispatch::kBlocking,
                [](const Request& r, const PathParams&) { return Response::json(201, r.body); });
  }

  ~ServerTest() override {
    gate_.open();
    stop();
  }

  static ServerOptions test_options() {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.blocking_threads = 4;
    options.read_timeout = 2s;
    options.idle_timeout = 2s;
    options.drain_timeout = 3s;
    options.access_log = false;
    return options;
  }

  void start(const ServerOptions& options = test_options()) {
    auto started = Server::start(options, router_, random_);
    ASSERT_TRUE(started.has_value()) << started.error().description;
    server_ = std::move(*started);
    std::promise<void> done;
    run_done_ = done.get_future();
    thread_ = std::thread([this, done = std::move(done)]() mutable {
      server_->run();
      done.set_value();
    });
  }

  // Stops the server and waits for run() to return.
  void stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  std::uint16_t port() const { return server_->port(); }

  testing::CounterRandom random_;
  Router router_;
  Gate gate_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::future<void> run_done_;
};

// Test that a simple GET is answered with Content-Length, X-Request-Id and the handler's body.
TEST_F(ServerTest, AnswersGet) {
  start();
  EXPECT_NE(port(), 0);
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(port()));
  RawConnection c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get("/hello")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"hello":"world"})");
  EXPECT_EQ(r->header("Content-Length"), std::to_string(r->body.size()));
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->header("Server"), "latchkey");
  EXPECT_TRUE(is_generated_request_id(r->header("X-Request-Id")));
}

// Test that path parameters reach the handler and the query is split from the path.
TEST_F(ServerTest, PassesPathParametersAndQuery) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/users/u-42?expand=keys")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const auto body = r->json();
  EXPECT_EQ(body["id"], "u-42");
  EXPECT_EQ(body["path"], "/users/u-42");
  EXPECT_EQ(body["query"], "expand=keys");
  EXPECT_EQ(body["remote"], "127.0.0.1");
}

// Test that a keep-alive connection serves two requests one after the other.
TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/hello")));
  const auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_FALSE(first->header("Connection").has_value());
  ASSERT_TRUE(c.send(post("/echo", R"({"n":2})")));
  const auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, R"({"n":2})");
  EXPECT_NE(first->header("X-Request-Id"), second->header("X-Request-Id"));
}

// Test that requests pipelined in one write are all answered, in order.
TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(post("/echo", "1") + post("/blocking-echo", "2") + post("/echo", "3")));
  for (const char* expected : {"1", "2", "3"}) {
    const auto r = c.read_response();
    ASSERT_TRUE(r) << expected;
    EXPECT_EQ(r->body, expected);
  }
}

// Test that a well-formed X-Request-Id is echoed and seen by the handler.
TEST_F(ServerTest, EchoesValidRequestId) {
  start();
  RawConnection c(port());
  const std::string id64(64, 'a');
  for (const std::string& id : {std::string("req-1.A_b"), id64}) {
    ASSERT_TRUE(c.send(get("/request-id", "X-Request-Id: " + id + "\r\n")));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("X-Request-Id"), id);
    EXPECT_EQ(r->json()["request_id"], id);
  }
}

// Test that a missing, too long or ill-formed X-Request-Id is replaced by a fresh one.
TEST_F(ServerTest, ReplacesInvalidRequestId) {
  start();
  RawConnection c(port());
  for (const std::string& header :
       {std::string(), "X-Request-Id: " + std::string(65, 'a') + "\r\n",
        std::string("X-Request-Id: a b\r\n"), std::string("X-Request-Id: <script>\r\n"),
        std::string("X-Request-Id: \r\n")}) {
    ASSERT_TRUE(c.send(get("/request-id", header)));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << header;
    EXPECT_TRUE(is_generated_request_id(r->header("X-Request-Id"))) << header;
    EXPECT_EQ(r->json()["request_id"], *r->header("X-Request-Id"));
  }
}

// Test that an unknown path is a JSON 404 and a known path with another method a JSON 405 with
// Allow.
TEST_F(ServerTest, NotFoundAndMethodNotAllowedAreJson) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/nope")));
  const auto not_found = c.read_response();
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->json()["error"], "not_found");
  EXPECT_TRUE(not_found->header("X-Request-Id").has_value());

  ASSERT_TRUE(c.send(post("/hello", "{}")));
  const auto not_allowed = c.read_response();
  ASSERT_TRUE(not_allowed);
  EXPECT_EQ(not_allowed->status, 405);
  EXPECT_EQ(not_allowed->json()["error"], "method_not_allowed");
  EXPECT_EQ(not_allowed->header("Allow"), "GET");
}

// Test that a handler that throws yields a JSON 500 and the connection keeps working.
TEST_F(ServerTest, ThrowingHandlerIsA500AndConnectionSurvives) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/throw")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->json()["error"], "server_error");
  EXPECT_EQ(r->body.find("handler bug"), std::string::npos);
  ASSERT_TRUE(c.send(get("/hello")));
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

// Test that HTTP/1.0 and "Connection: close" get one response, then the server closes.
TEST_F(ServerTest, HonoursConnectionCloseAndHttp10) {
  start();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(c.wait_closed());
  }
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send(get("/hello", "Connection: close\r\n")));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
  }
}

// Test that "Expect: 100-continue" gets an interim 100 before the body is sent.
TEST_F(ServerTest, AnswersExpectContinue) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("ping"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ping");
}

// Test that a body over max_body_bytes is a JSON 413, by Content-Length or chunked, then close.
TEST_F(ServerTest, BodyTooLargeIs413) {
  auto options = test_options();
  options.max_body_bytes = 1024;
  start(options);
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send(post("/echo", std::string(4096, 'x'))));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->json()["error"], "payload_too_large");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
  }
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       std::string("800\r\n") + std::string(2048, 'y') + "\r\n0\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.wait_closed());
  }
  {  // at the limit is fine
    RawConnection c(port());
    ASSERT_TRUE(c.send(post("/echo", std::string(1024, 'z'))));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

// Test that headers over max_header_bytes are a JSON 431, then close.
TEST_F(ServerTest, HeadersTooLargeIs431) {
  auto options = test_options();
  options.max_header_bytes = 1024;
  start(options);
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/hello", "X-Big: " + std::string(2048, 'h') + "\r\n")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->json()["error"], "headers_too_large");
  EXPECT_TRUE(c.wait_closed());
}

// Test that bytes that are not HTTP get a JSON 400 invalid_request, then close.
TEST_F(ServerTest, GarbageIs400) {
  start();
  for (const std::string& garbage :
       {std::string("NOT HTTP AT ALL\r\n\r\n"), std::string("\x16\x03\x01\x02\x00\x01\x00\r\n\r\n"),
        std::string("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n"),
        std::string("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n")}) {
    RawConnection c(port());
    ASSERT_TRUE(c.send(garbage));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << garbage;
    EXPECT_EQ(r->status, 400) << garbage;
    EXPECT_EQ(r->json()["error"], "invalid_request") << garbage;
    EXPECT_TRUE(is_generated_request_id(r->header("X-Request-Id")));
    EXPECT_TRUE(c.wait_closed()) << garbage;
  }
}

// Test that a client sending half a request is answered 408 and disconnected after read_timeout.
TEST_F(ServerTest, SlowClientIsCutOffAfterReadTimeout) {
  auto options = test_options();
  options.read_timeout = 300ms;
  options.idle_timeout = 5s;
  start(options);
  RawConnection c(port());
  const auto sent = SteadyClock::now();
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: t\r\n"));  // never finished
  const auto r = c.read_response(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->json()["error"], "invalid_request");
  EXPECT_EQ(r->json()["reason"], "request_timeout");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_GE(SteadyClock::now() - sent, 250ms);
}

// Test that a slow client trickling bytes cannot extend read_timeout.
TEST_F(ServerTest, TricklingClientIsCutOffAfterReadTimeout) {
  auto options = test_options();
  options.read_timeout = 300ms;
  start(options);
  RawConnection c(port());
  const auto sent = SteadyClock::now();
  const std::string request = get("/hello", "X-Pad: 0123456789\r\n");
  bool answered = false;
  for (char ch : request) {
    if (!c.send(std::string_view(&ch, 1))) break;
    std::this_thread::sleep_for(50ms);
    if (SteadyClock::now() - sent > 1s) break;
  }
  const auto r = c.read_response(2s);
  answered = r && r->status == 408;
  EXPECT_TRUE(answered);
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_LT(SteadyClock::now() - sent, 3s);
}

// Test that an idle keep-alive connection is closed after idle_timeout.
TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  auto options = test_options();
  options.idle_timeout = 300ms;
  start(options);
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/hello")));
  ASSERT_TRUE(c.read_response());
  const auto answered = SteadyClock::now();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_GE(SteadyClock::now() - answered, 250ms);
}

// Test that a blocked kBlocking handler does not stop kInline requests on a single I/O thread.
TEST_F(ServerTest, BlockingHandlerDoesNotStallInlineRequests) {
  auto options = test_options();
  options.io_threads = 1;
  start(options);
  RawConnection blocked(port());
  ASSERT_TRUE(blocked.send(get("/gate")));
  ASSERT_TRUE(gate_.wait_entered());

  for (int i = 0; i < 3; ++i) {
    RawConnection c(port());
    ASSERT_TRUE(c.send(get("/hello")));
    const auto r = c.read_response(2s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }

  gate_.open();
  const auto r = blocked.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"gate":"passed"})");
}

// Test that stop() refuses new connections, closes idle ones, and lets a request in flight finish.
TEST_F(ServerTest, StopDrainsInFlightRequests) {
  start();
  const std::uint16_t bound = port();
  RawConnection idle(bound);
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());
  RawConnection busy(bound);
  ASSERT_TRUE(busy.send(get("/gate")));
  ASSERT_TRUE(gate_.wait_entered());

  server_->stop();
  EXPECT_TRUE(idle.wait_closed(2s));
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !RawConnection(bound).connected();
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(run_done_.wait_for(0s), std::future_status::timeout);  // still draining

  gate_.open();
  const auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"gate":"passed"})");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(busy.wait_closed(2s));
  EXPECT_EQ(run_done_.wait_for(3s), std::future_status::ready);
}

// Test that run() returns after drain_timeout even if a handler never finishes.
TEST_F(ServerTest, DrainGivesUpAfterDrainTimeout) {
  auto options = test_options();
  options.drain_timeout = 300ms;
  start(options);
  RawConnection busy(port());
  ASSERT_TRUE(busy.send(get("/gate")));
  ASSERT_TRUE(gate_.wait_entered());

  const auto stopped = SteadyClock::now();
  server_->stop();
  ASSERT_EQ(run_done_.wait_for(3s), std::future_status::ready);
  EXPECT_GE(SteadyClock::now() - stopped, 250ms);
  EXPECT_TRUE(busy.wait_closed(2s));
  gate_.open();  // the fixture then destroys the server, which waits for the pool
}

// Test that stop() before any connection makes run() return promptly, and stop() is idempotent.
TEST_F(ServerTest, StopWithNothingInFlightReturnsPromptly) {
  start();
  server_->stop();
  server_->stop();
  EXPECT_EQ(run_done_.wait_for(2s), std::future_status::ready);
}

// Test that the access log has one JSON line per request with the path but never the query.
TEST_F(ServerTest, AccessLogOmitsQueryString) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_pattern("%v");
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  auto options = test_options();
  options.access_log = true;
  start(options);
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/users/7?api_key=lk_key_SECRET", "X-Request-Id: trace-1\r\n")));
  ASSERT_TRUE(c.read_response());
  ASSERT_TRUE(c.send(post("/echo?token=SECRET2", R"({"password":"SECRET3"})")));
  ASSERT_TRUE(c.read_response());
  stop();
  spdlog::set_default_logger(previous);

  const std::string log = captured.str();
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << log;
  std::istringstream lines(log);
  std::vector<nlohmann::json> entries;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("{")) entries.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(entries.size(), 2u) << log;
  EXPECT_EQ(entries[0]["path"], "/users/7");
  EXPECT_EQ(entries[0]["method"], "GET");
  EXPECT_EQ(entries[0]["status"], 200);
  EXPECT_EQ(entries[0]["request_id"], "trace-1");
  EXPECT_EQ(entries[0]["remote"], "127.0.0.1");
  EXPECT_TRUE(entries[0]["duration_ms"].is_number());
  EXPECT_TRUE(entries[0]["time"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(entries[0]["level"], "info");
  EXPECT_EQ(entries[0]["logger"], "access");
  EXPECT_EQ(entries[0]["trace_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(entries[0]["span_id"].get<std::string>().size(), 16u);
  EXPECT_EQ(entries[1]["path"], "/echo");
  EXPECT_EQ(entries[1]["principal"], "user-1");
}

// Test that with an access-log sink every request's line is in the file by
// the time run() returns (before the log itself is stopped), in the same
// byte format as ever, without the query string or any header or body.
TEST_F(ServerTest, AccessLogSinkHasEveryLineWhenRunReturns) {
  char pattern[] = "/tmp/latchkey-server-access-XXXXXX";
  const int fd = ::mkstemp(pattern);
  ASSERT_GE(fd, 0);
  std::filesystem::remove(pattern);
  AccessLogOptions log_options;
  log_options.fd = fd;
  log_options.poll_interval = std::chrono::hours(1);  // only the server's flush writes
  const auto sink = std::make_shared<BufferedAccessLog>(log_options);
  const latchkey::testing::FakeClock clock(from_unix_millis(1'795'000'000'123));

  auto options = test_options();
  options.access_log = true;
  options.access_log_sink = sink;
  options.clock = &clock;
  start(options);
  constexpr int kRequests = 50;
  {
    RawConnection c(port());
    for (int i = 0; i < kRequests; ++i) {
      ASSERT_TRUE(c.send(get(
          "/users/" + std::to_string(i) + "?api_key=lk_key_SECRET",
          "X-Request-Id: trace-" + std::to_string(i) + "\r\nAuthorization: Bearer SECRET4\r\n")));
      ASSERT_TRUE(c.read_response());
    }
    ASSERT_TRUE(c.send(post("/echo?token=SECRET2", R"({"password":"SECRET3"})")));
    ASSERT_TRUE(c.read_response());
  }
  server_->stop();
  ASSERT_EQ(run_done_.wait_for(5s), std::future_status::ready);
  stop();  // the server goes before the clock

  std::string log;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    log.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << log;
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kRequests + 1)) << log;
  for (int i = 0; i < kRequests; ++i) {
    const std::string& line = lines[static_cast<std::size_t>(i)];
    // Everything but the duration, byte for byte.
    const std::string head =
        "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"info\",\"logger\":\"access\","
        "\"msg\":\"request\",\"request_id\":\"trace-" +
        std::to_string(i) + "\",\"trace_id\":\"";
    ASSERT_TRUE(line.starts_with(head)) << line;
    const std::string ids = line.substr(head.size(), 32 + std::strlen("\",\"span_id\":\"") + 16);
    EXPECT_EQ(ids.substr(32, 13), "\",\"span_id\":\"") << line;
    const std::string middle = "\",\"remote\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/users/" +
                               std::to_string(i) + "\",\"status\":200,\"duration_ms\":";
    ASSERT_EQ(line.substr(head.size() + ids.size(), middle.size()), middle) << line;
    const std::size_t duration_at = head.size() + ids.size() + middle.size();
    EXPECT_TRUE(line.ends_with(",\"principal\":\"\"}")) << line;
    const std::string duration =
        line.substr(duration_at, line.size() - duration_at - std::strlen(",\"principal\":\"\"}"));
    EXPECT_EQ(duration.find_first_not_of("0123456789."), std::string::npos) << line;
    EXPECT_EQ(duration.size() - duration.find('.'), 4u) << line;  // three decimals
  }
  EXPECT_NE(lines.back().find(R"("path":"/echo","status":200)"), std::string::npos);
  EXPECT_TRUE(lines.back().ends_with(R"("principal":"user-1"})")) << lines.back();
  EXPECT_EQ(sink->stats().dropped, 0u);
}

// Test that a port already listened on makes start() fail with kUnavailable.
TEST_F(ServerTest, StartFailsWhenPortIsTaken) {
  start();
  auto options = test_options();
  options.port = port();
  const auto second = Server::start(options, router_, random_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
}

// Test that unreadable TLS files make start() fail with kInvalidRequest naming the file.
TEST_F(ServerTest, StartFailsOnMissingTlsFiles) {
  auto options = test_options();
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  const auto started = Server::start(options, router_, random_);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidRequest);
  EXPECT_NE(started.error().description.find("/nonexistent/cert.pem"), std::string::npos);

  options.tls_key_file.clear();
  const auto half = Server::start(options, router_, random_);
  ASSERT_FALSE(half.has_value());
  EXPECT_EQ(half.error().code, ErrorCode::kInvalidRequest);
}

// A throwaway self-signed certificate made with the openssl CLI.
class TempCertificate {
 public:
  TempCertificate() {
    char pattern[] = "/tmp/latchkey-http-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return;
    dir_ = pattern;
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -keyout " +
        key() + " -out " + cert() + " >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  ~TempCertificate() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ok() const { return ok_; }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }

 private:
  std::string dir_;
  bool ok_ = false;
};

std::size_t append_to_string(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Test that with a certificate and key the server speaks HTTPS (and only HTTPS).
TEST_F(ServerTest, ServesHttps) {
  TempCertificate certificate;
  if (!certificate.ok()) GTEST_SKIP() << "openssl CLI not available";
  auto options = test_options();
  options.tls_cert_file = certificate.cert();
  options.tls_key_file = certificate.key();
  start(options);
  ASSERT_TRUE(server_->url().starts_with("https://127.0.0.1:"));

  for (const char* path : {"/hello", "/users/9"}) {
    CURL* curl = curl_easy_init();
    ASSERT_NE(curl, nullptr);
    std::string body, headers;
    const std::string url = server_->url() + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);  // self-signed, loopback only
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
    EXPECT_EQ(status, 200);
    EXPECT_NE(headers.find("X-Request-Id: "), std::string::npos);
    if (std::string_view(path) == "/hello") {
      EXPECT_EQ(body, R"({"hello":"world"})");
    }
  }

  // Plain HTTP to the TLS port gets no HTTP answer.
  RawConnection plain(port());
  ASSERT_TRUE(plain.send(get("/hello")));
  EXPECT_FALSE(plain.read_response(2s).has_value());
}

// One HTTPS GET with libcurl; `source` binds the client (another loopback
// address is another peer); `proxy_header`: curl sends a PROXY v1 header
// before its ClientHello. Returns the status (0: failed) and the body.
std::pair<long, std::string> https_get(const std::string& url, const char* source,
                                       bool proxy_header,
                                       const std::vector<std::string>& headers = {}) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);  // self-signed, loopback only
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_INTERFACE, (std::string("host!") + source).c_str());
  curl_easy_setopt(curl, CURLOPT_HAPROXYPROTOCOL, proxy_header ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(list);
  return {status, body};
}

// Test that the PROXY header comes before the TLS handshake: a trusted
// proxy's header is read and the TLS session that follows it is served
// (its X-Forwarded-For naming the client); a trusted peer without a header
// and an untrusted one with a header are refused; an untrusted one without
// is served as itself.
TEST_F(ServerTest, ProxyProtocolBeforeTls) {
  TempCertificate certificate;
  if (!certificate.ok()) GTEST_SKIP() << "openssl CLI not available";
  auto options = test_options();
  options.tls_cert_file = certificate.cert();
  options.tls_key_file = certificate.key();
  options.trusted_proxies = CidrSet::parse({"127.0.0.3/32"}).value();
  options.proxy_protocol = true;
  start(options);
  const std::string url = server_->url() + "/users/1";

  auto [status, body] = https_get(url, "127.0.0.3", true, {"X-Forwarded-For: 198.51.100.5"});
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(nlohmann::json::parse(body)["remote"], "198.51.100.5");

  EXPECT_EQ(https_get(url, "127.0.0.3", false).first, 0);  // no header from the proxy
  EXPECT_EQ(https_get(url, "127.0.0.2", true).first, 0);   // a header from anyone else

  auto [direct_status, direct_body] =
      https_get(url, "127.0.0.2", false, {"X-Forwarded-For: 198.51.100.6"});
  ASSERT_EQ(direct_status, 200) << direct_body;
  EXPECT_EQ(nlohmann::json::parse(direct_body)["remote"], "127.0.0.2");
}

// Test that over TLS a connection beyond max_connections also gets its 503
// (too_many_connections), after the handshake.
TEST_F(ServerTest, RefusesOverTheCapOverHttps) {
  TempCertificate certificate;
  if (!certificate.ok()) GTEST_SKIP() << "openssl CLI not available";
  auto options = test_options();
  options.tls_cert_file = certificate.cert();
  options.tls_key_file = certificate.key();
  options.read_timeout = 10s;  // the held connection never finishes its handshake
  options.max_connections = 1;
  start(options);
  RawConnection held(port());  // admitted, waits in its handshake
  ASSERT_TRUE(held.connected());
  for (int i = 0; i < 500 && server_->connection_stats().open == 0; ++i) {
    std::this_thread::sleep_for(10ms);  // bounded wait for the accept
  }
  ASSERT_EQ(server_->connection_stats().open, 1u);

  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  std::string body;
  const std::string url = server_->url() + "/hello";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);  // self-signed, loopback only
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(nlohmann::json::parse(body)["reason"], "too_many_connections");
  EXPECT_EQ(server_->connection_stats().refused_server, 1u);
}

}  // namespace
}  // namespace latchkey::http

namespace latchkey::http {
namespace {

// Test that blocking requests beyond max_blocking_in_flight are shed with
// 503 and Retry-After instead of queueing without bound, and that the slot
// comes back when the held request finishes.
TEST_F(ServerTest, ShedsLoadBeyondMaxBlockingInFlight) {
  auto options = test_options();
  options.max_blocking_in_flight = 1;
  start(options);
  RawConnection held(port());
  ASSERT_TRUE(held.send(get("/gate")));
  ASSERT_TRUE(gate_.wait_entered());

  RawConnection extra(port());
  ASSERT_TRUE(extra.send(post("/blocking-echo", "{}")));
  const auto shed = extra.read_response(2s);
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_EQ(shed->header("Retry-After"), "1");
  EXPECT_NE(shed->body.find("temporarily_unavailable"), std::string::npos);

  gate_.open();
  ASSERT_TRUE(held.read_response());
  RawConnection after(port());
  ASSERT_TRUE(after.send(post("/blocking-echo", "{}")));
  const auto ok = after.read_response(2s);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
}

}  // namespace
}  // namespace latchkey::http
