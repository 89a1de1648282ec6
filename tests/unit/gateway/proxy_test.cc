// The gateway's upstream client (gateway/proxy.h) against the test upstream
// (support/test_upstream.h), driven on the test thread's own io_context: a
// fake Responder records the answer, and the test pulls a streamed body
// itself, so it can tell a plain body from a streamed one, count the
// upstream's connections and see how the request arrived. Waits are run_one
// calls bounded by a safety limit; nothing sleeps.
#include "gateway/proxy.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/route_table.h"
#include "http/executor.h"
#include "http/message.h"
#include "http/router.h"
#include "support/test_upstream.h"

namespace latchkey::gateway {
namespace {

using namespace std::chrono_literals;
using testing::TestUpstream;

// Records the one answer; forgets on_client_gone once answered, as the
// server's responder does.
class FakeResponder final : public http::Responder {
 public:
  explicit FakeResponder(boost::asio::io_context& io) : executor_(io.get_executor()) {}

  void respond(http::Response response) override {
    ++answers;
    this->response = std::move(response);
    on_gone = nullptr;
  }
  void on_client_gone(std::function<void()> f) override { on_gone = std::move(f); }
  const http::Executor& executor() const override { return executor_; }

  int answers = 0;
  std::optional<http::Response> response;
  std::function<void()> on_gone;

 private:
  http::Executor executor_;
};

class ProxyTest : public ::testing::Test {
 protected:
  ProxyTest() {
    GatewayRouteSpec spec;
    spec.method = "*";
    spec.path = "/{anything}";
    spec.upstream = upstream_.url();
    spec.action = std::string(kAuthenticatedOnly);
    spec.timeout_ms = 5'000;
    auto routes = compile_gateway_routes({spec});
    EXPECT_TRUE(routes) << routes.error().description;
    routes_ = std::move(*routes);
  }

  // Runs the io_context until `done` holds; false after 10 s of no progress.
  bool run_until(const std::function<bool()>& done) {
    while (!done()) {
      if (io_.stopped()) io_.restart();
      if (io_.run_one_for(10s) == 0) return false;
    }
    return true;
  }

  struct Call {
    std::shared_ptr<FakeResponder> responder;
    std::vector<UpstreamOutcome> ended;  // on_end's outcomes (one, when over)
  };

  // Starts one exchange; the returned call is filled in as the io_context runs.
  std::shared_ptr<Call> start(const std::string& method, const std::string& target,
                              std::string body = "") {
    auto call = std::make_shared<Call>();
    call->responder = std::make_shared<FakeResponder>(io_);
    ProxyJob job;
    job.route = &routes_.front();
    job.method = method;
    job.target = target;
    job.headers = {{"Host", routes_.front().upstream.host_header}, {"Content-Type", "text/plain"}};
    job.body = std::move(body);
    job.responder = call->responder;
    job.extra_response_headers = {{"RateLimit-Limit", "60"}};
    job.on_end = [call](UpstreamOutcome outcome) { call->ended.push_back(outcome); };
    proxy(std::move(job));
    return call;
  }

  // One exchange up to its answer.
  std::shared_ptr<Call> call(const std::string& method, const std::string& target,
                             std::string body = "") {
    auto c = start(method, target, std::move(body));
    EXPECT_TRUE(run_until([&] { return c->responder->answers > 0; })) << target;
    return c;
  }

  // Pulls a streamed body to its end, as the server does: one read() at a
  // time, each after the previous piece was taken. Appends what came;
  // false if the source failed.
  bool drain(http::BodySource& source, std::string& out, std::size_t* pieces = nullptr) {
    for (;;) {
      std::optional<http::BodySource::Chunk> got;
      std::string piece;
      source.read([&](http::BodySource::Chunk chunk) {
        piece.assign(chunk.data);  // valid until the next read()
        got = chunk;
      });
      if (!run_until([&] { return got.has_value(); })) return false;
      if (got->failed) return false;
      if (got->done) return true;
      out += piece;
      if (pieces != nullptr) ++*pieces;
    }
  }

  static std::string header(const http::Response& r, std::string_view name) {
    auto value = r.header(name);
    return value ? std::string(*value) : std::string();
  }

  TestUpstream upstream_;  // declared first: outlives the io_context's connections
  boost::asio::io_context io_{1};
  std::vector<GatewayRoute> routes_;
};

// Test that a small POST goes out in one write (the upstream had head and
// body from a single recv) and that the small answer comes back as a plain
// body, not a stream, with the upstream's status and headers.
TEST_F(ProxyTest, SmallPostInOneWriteSmallAnswerPlain) {
  const std::string body(3000, 'p');
  auto c = call("POST", "/echo/post?x=1", body);
  ASSERT_TRUE(c->responder->response);
  const http::Response& r = *c->responder->response;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_source, nullptr);  // plain: the server writes head and body at once
  EXPECT_FALSE(r.content_length);
  EXPECT_NE(r.body.find("target=/echo/post?x=1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("body=" + body + "\n"), std::string::npos);
  EXPECT_EQ(header(r, "X-Upstream"), "test");
  EXPECT_EQ(header(r, "Content-Length"), "");  // the server sets its own
  EXPECT_EQ(header(r, "Server"), "");
  EXPECT_EQ(header(r, "RateLimit-Limit"), "60");  // latchkey's, not the upstream's 1000
  EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kOk});

  const auto seen = upstream_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].header("Content-Length"), "3000");
  EXPECT_EQ(seen[0].recv_calls, 1);
}

// Test that an empty POST still says "Content-Length: 0" and a GET says
// nothing about a body.
TEST_F(ProxyTest, RequestLengths) {
  call("POST", "/echo/empty");
  call("GET", "/echo/get");
  const auto seen = upstream_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].header("Content-Length"), "0");
  EXPECT_FALSE(seen[1].has_header("Content-Length"));
  EXPECT_FALSE(seen[1].has_header("Transfer-Encoding"));
  EXPECT_EQ(seen[1].recv_calls, 1);
}

// Test that a chunked answer that arrived whole with its head is also a
// plain body (the caller gets a Content-Length); its HEAD has no length.
TEST_F(ProxyTest, CompleteChunkedAnswerIsPlain) {
  auto c = call("GET", "/nolength/x");
  ASSERT_TRUE(c->responder->response);
  EXPECT_EQ(c->responder->response->body_source, nullptr);
  EXPECT_EQ(c->responder->response->body, "hello");
  EXPECT_EQ(header(*c->responder->response, "Transfer-Encoding"), "");

  auto head = call("HEAD", "/nolength/x");
  ASSERT_TRUE(head->responder->response);
  EXPECT_NE(head->responder->response->body_source, nullptr);
  EXPECT_FALSE(head->responder->response->content_length);
  auto sized_head = call("HEAD", "/sized/5000");
  ASSERT_TRUE(sized_head->responder->response);
  EXPECT_EQ(sized_head->responder->response->content_length, 5000u);
  EXPECT_EQ(upstream_.connections(), 1);
}

// Test that a chunked body of which only a part came with the head is
// streamed: first the part already read, then the rest as it comes; the
// connection then serves again.
TEST_F(ProxyTest, PartlyBufferedChunkedBodyStreams) {
  auto c = call("GET", "/split/x");
  ASSERT_TRUE(c->responder->response);
  http::Response& r = *c->responder->response;
  ASSERT_NE(r.body_source, nullptr);
  EXPECT_FALSE(r.content_length);
  std::string first;
  std::optional<http::BodySource::Chunk> got;
  r.body_source->read([&](http::BodySource::Chunk chunk) {
    first.assign(chunk.data);
    got = chunk;
  });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  EXPECT_EQ(first, "hello");  // what came with the head, before the upstream goes on
  ASSERT_TRUE(upstream_.wait_held(1));
  upstream_.release(1);
  std::string rest;
  ASSERT_TRUE(drain(*r.body_source, rest));
  EXPECT_EQ(rest, " world");
  EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kOk});
  EXPECT_EQ(call("GET", "/echo/after")->responder->response->status, 200);
  EXPECT_EQ(upstream_.connections(), 1);
}

// Test that a malformed chunked body that came with the head is a 502
// (nothing has been sent to the caller yet) and its connection is closed.
TEST_F(ProxyTest, MalformedBufferedBodyIs502) {
  auto c = call("GET", "/badchunk/x");
  ASSERT_TRUE(c->responder->response);
  EXPECT_EQ(c->responder->response->status, 502);
  EXPECT_NE(c->responder->response->body.find("upstream_error"), std::string::npos);
  EXPECT_EQ(header(*c->responder->response, "RateLimit-Limit"), "60");
  EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kError});
  EXPECT_TRUE(upstream_.wait_closed(1));
}

// Test that bodies larger than the read buffer are streamed, with the
// upstream's length when it sent one, in pieces no larger than the buffer,
// and arrive whole; the connection then serves the next request.
TEST_F(ProxyTest, LargeBodiesStream) {
  for (const std::string target : {"/sized/200000", "/big/200000"}) {
    auto c = call("GET", target);
    ASSERT_TRUE(c->responder->response);
    http::Response& r = *c->responder->response;
    ASSERT_NE(r.body_source, nullptr) << target;
    if (target.starts_with("/sized/")) {
      EXPECT_EQ(r.content_length, 200000u);
    } else {
      EXPECT_FALSE(r.content_length);
    }
    EXPECT_TRUE(c->ended.empty());  // in flight until the body has been read
    std::string body;
    std::size_t pieces = 0;
    ASSERT_TRUE(drain(*r.body_source, body, &pieces)) << target;
    EXPECT_EQ(body.size(), 200000u);
    EXPECT_TRUE(body == TestUpstream::body_pattern(200000)) << target;
    EXPECT_GE(pieces, 200000u / (16 * 1024));
    EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kOk});
  }
  auto after = call("GET", "/echo/after");
  EXPECT_EQ(after->responder->response->status, 200);
  EXPECT_EQ(upstream_.connections(), 1);
}

// Test that one pooled connection serves many requests in a row, small and
// streamed, GET and POST: the upstream accepted a single connection.
TEST_F(ProxyTest, OneConnectionServesManyRequests) {
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    auto c = i % 2 == 0 ? call("GET", "/echo/" + n) : call("POST", "/echo/" + n, "body " + n);
    ASSERT_TRUE(c->responder->response);
    ASSERT_EQ(c->responder->response->status, 200);
    EXPECT_NE(c->responder->response->body.find("target=/echo/" + n + "\n"), std::string::npos);
    if (i % 10 == 0) {
      auto big = call("GET", "/sized/50000");
      std::string body;
      ASSERT_TRUE(drain(*big->responder->response->body_source, body));
      EXPECT_EQ(body.size(), 50000u);
    }
  }
  EXPECT_EQ(upstream_.requests().size(), 110u);
  EXPECT_EQ(upstream_.connections(), 1);
}

// Test that a pooled connection the upstream closes before any byte of the
// answer is retried once on a fresh connection for an idempotent method,
// and is a 502 for another.
TEST_F(ProxyTest, RetryOnceOnClosedPooledConnection) {
  ASSERT_EQ(call("GET", "/echo/first")->responder->response->status, 200);
  auto retried = call("GET", "/vanish/get");
  EXPECT_EQ(retried->responder->response->status, 200);
  EXPECT_NE(retried->responder->response->body.find("target=/vanish/get\n"), std::string::npos);
  EXPECT_EQ(retried->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kOk});
  EXPECT_EQ(upstream_.connections(), 2);
  EXPECT_EQ(upstream_.requests().size(), 3u);  // /echo/first, /vanish/get twice

  auto posted = call("POST", "/vanish/post", "x");
  EXPECT_EQ(posted->responder->response->status, 502);
  EXPECT_NE(posted->responder->response->body.find("upstream_error"), std::string::npos);
  EXPECT_EQ(posted->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kError});
  EXPECT_EQ(upstream_.requests().size(), 4u);  // not sent again
  EXPECT_EQ(upstream_.connections(), 2);
}

// Test that a client going away before the answer ends the exchange
// (kAbandoned, once) and closes the upstream connection, and that the next
// request connects anew. The io_context runs on a thread of its own while
// the upstream holds the request; on_client_gone is called on it.
TEST_F(ProxyTest, ClientGoneBeforeAnswer) {
  auto c = start("GET", "/hold/x");
  {
    auto work = boost::asio::make_work_guard(io_);
    std::thread runner([&] { io_.run(); });
    EXPECT_TRUE(upstream_.wait_held(1));
    boost::asio::post(io_, [c] {
      ASSERT_TRUE(c->responder->on_gone);
      c->responder->on_gone();
    });
    EXPECT_TRUE(upstream_.wait_abandoned(1));
    work.reset();
    io_.stop();
    runner.join();
  }
  EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kAbandoned});
  EXPECT_EQ(c->responder->answers, 0);
  auto next = call("GET", "/echo/next");
  EXPECT_EQ(next->responder->response->status, 200);
  EXPECT_EQ(upstream_.connections(), 2);
}

// Test that cancelling a streamed body (the client went away mid-body)
// ends the exchange once and drops the connection.
TEST_F(ProxyTest, CancelMidBody) {
  auto c = call("GET", "/big/10000000");
  ASSERT_NE(c->responder->response->body_source, nullptr);
  c->responder->response->body_source->cancel();
  EXPECT_EQ(c->ended, std::vector<UpstreamOutcome>{UpstreamOutcome::kAbandoned});
  EXPECT_TRUE(upstream_.wait_closed(1));
  auto next = call("GET", "/echo/next");
  EXPECT_EQ(next->responder->response->status, 200);
  EXPECT_EQ(upstream_.connections(), 2);
}

}  // namespace
}  // namespace latchkey::gateway
