// The HTTP server's asynchronous handlers (Router::add_async, Responder) and
// streamed response bodies (BodySource), over real loopback sockets. The test
// thread plays the upstream: it holds the responders and answers them when a
// test says so; waits are bounded condition waits, never sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/executor.h"
#include "http/message.h"
#include "http/router.h"
#include "http/server.h"
#include "raw_connection.h"
#include "support/counter_random.h"

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;

// The responders handed to the "/async" handler, in arrival order, and how
// many times on_client_gone fired.
class Responders {
 public:
  void add(std::shared_ptr<Responder> responder) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(responder));
    cv_.notify_all();
  }
  // The index-th responder, waiting for it to arrive; null after 5 s.
  std::shared_ptr<Responder> wait(std::size_t index) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return items_.size() > index; });
    return index < items_.size() ? items_[index] : nullptr;
  }
  void gone() {
    std::lock_guard lock(mu_);
    ++gone_;
    cv_.notify_all();
  }
  bool wait_gone(int count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return gone_ >= count; });
  }
  int gone_count() {
    std::lock_guard lock(mu_);
    return gone_;
  }
  void clear() {
    std::vector<std::shared_ptr<Responder>> items;
    {
      std::lock_guard lock(mu_);
      items.swap(items_);
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Responder>> items_;
  int gone_ = 0;
};

// Serves its pieces one per read(), synchronously, then done (or failed).
class ScriptedSource final : public BodySource {
 public:
  explicit ScriptedSource(std::vector<std::string> pieces, bool fail_at_end = false)
      : pieces_(std::move(pieces)), fail_at_end_(fail_at_end) {}

  void read(std::function<void(Chunk)> next) override {
    ++reads;
    if (index_ < pieces_.size()) return next(Chunk{.data = pieces_[index_++]});
    next(Chunk{.done = !fail_at_end_, .failed = fail_at_end_});
  }
  void cancel() override { ++cancels; }

  std::atomic<int> reads{0};
  std::atomic<int> cancels{0};

 private:
  std::vector<std::string> pieces_;
  std::size_t index_ = 0;
  bool fail_at_end_;
};

// Never answers read() until the test says so: a slow upstream.
class PendingSource final : public BodySource {
 public:
  void read(std::function<void(Chunk)> next) override {
    std::lock_guard lock(mu_);
    next_ = std::move(next);
    cv_.notify_all();
  }
  void cancel() override {
    std::lock_guard lock(mu_);
    ++cancels_;
    cv_.notify_all();
  }
  bool wait_read() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return next_ != nullptr; });
  }
  bool wait_cancelled() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return cancels_ > 0; });
  }
  // Drops the pending callback (it holds the connection).
  void forget() {
    std::function<void(Chunk)> next;
    std::lock_guard lock(mu_);
    next.swap(next_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void(Chunk)> next_;
  int cancels_ = 0;
};

// `count` pieces of `piece_bytes`; records how much the client had read
// when each read() came.
class BigSource final : public BodySource {
 public:
  BigSource(std::size_t piece_bytes, int count, const std::atomic<std::size_t>& consumed)
      : piece_(piece_bytes, 'x'), count_(count), consumed_(consumed) {}

  void read(std::function<void(Chunk)> next) override {
    {
      std::lock_guard lock(mu_);
      consumed_at_read_.push_back(consumed_.load());
    }
    if (served_ < count_) {
      ++served_;
      return next(Chunk{.data = piece_});
    }
    next(Chunk{.done = true});
  }
  void cancel() override {}

  std::vector<std::size_t> consumed_at_read() {
    std::lock_guard lock(mu_);
    return consumed_at_read_;
  }

 private:
  std::string piece_;
  int count_;
  int served_ = 0;
  const std::atomic<std::size_t>& consumed_;
  std::mutex mu_;
  std::vector<std::size_t> consumed_at_read_;
};

Response streamed(std::shared_ptr<BodySource> source,
                  std::optional<std::uint64_t> length = std::nullopt) {
  Response response;
  response.headers.push_back({"Content-Type", "text/plain"});
  response.body_source = std::move(source);
  response.content_length = length;
  return response;
}

class AsyncServerTest : public ::testing::Test {
 protected:
  AsyncServerTest() {
    router_.add("GET", "/hello", Dispatch::kInline, [](const Request&, const PathParams&) {
      return Response::json(200, R"({"hello":"world"})");
    });
    router_.add_async(
        "GET", "/async/{id}",
        [this](Request request, PathParams params, std::shared_ptr<Responder> responder) {
          EXPECT_EQ(request.path(), "/async/" + std::string(params.get("id")));
          responder->on_client_gone([this] { responders_.gone(); });
          responders_.add(std::move(responder));
        });
    router_.add_async(
        "GET", "/on-executor",
        [](Request request, PathParams, std::shared_ptr<Responder> responder) {
          auto& executor = responder->executor().get();
          boost::asio::post(executor, [responder = std::move(responder), id = request.request_id] {
            responder->respond(Response::json(200, nlohmann::json{{"seen", id}}.dump()));
          });
        });
    router_.add_async("GET", "/async-throw", [](Request, PathParams, std::shared_ptr<Responder>) {
      throw std::runtime_error("async handler bug");
    });
    router_.add_async("GET", "/async-drop", [](Request, PathParams, std::shared_ptr<Responder>) {
      // Forgets to answer: the server still does.
    });
  }

  ~AsyncServerTest() override { stop(); }

  static ServerOptions test_options() {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.blocking_threads = 2;
    options.read_timeout = 2s;
    options.idle_timeout = 2s;
    options.drain_timeout = 3s;
    options.write_timeout = 5s;
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

  // Stops the server, waits for run() to return, then lets go of what the
  // test still holds (it keeps connections alive) before the server goes.
  void stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    responders_.clear();
    if (pending_) pending_->forget();
    server_.reset();
  }

  std::uint16_t port() const { return server_->port(); }

  testing::CounterRandom random_;
  Router router_;
  Responders responders_;
  std::shared_ptr<PendingSource> pending_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::future<void> run_done_;
};

// Test that an async handler's answer, given later from another thread, reaches the client.
TEST_F(AsyncServerTest, AsyncHandlerAnsweredLaterFromAnotherThread) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/async/7", "X-Request-Id: async-1\r\n")));
  auto responder = responders_.wait(0);
  ASSERT_TRUE(responder);
  std::thread([responder] {
    Response response = Response::json(201, R"({"late":true})");
    response.set_header("X-Upstream", "yes");
    responder->respond(std::move(response));
    responder->respond(Response::json(500, "{}"));  // a second answer is ignored
  }).join();
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, R"({"late":true})");
  EXPECT_EQ(r->header("X-Upstream"), "yes");
  EXPECT_EQ(r->header("X-Request-Id"), "async-1");
  c.close();
  stop();
  EXPECT_EQ(responders_.gone_count(), 0);  // on_client_gone never runs after respond()
}

// Test that the connection stays alive after an async answer, and that the
// responder's executor runs work on the connection.
TEST_F(AsyncServerTest, KeepAliveAfterAsyncResponse) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/async/1")));
  ASSERT_TRUE(responders_.wait(0));
  responders_.wait(0)->respond(Response::json(200, R"({"n":1})"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"n":1})");
  EXPECT_NE(r->header("Connection"), "close");

  ASSERT_TRUE(c.send(get("/hello")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"hello":"world"})");

  ASSERT_TRUE(c.send(get("/on-executor", "X-Request-Id: exec-1\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json()["seen"], "exec-1");
}

// Test that requests pipelined behind an async one are answered in order after it.
TEST_F(AsyncServerTest, PipelinedRequestsWithAnAsyncOne) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/hello") + get("/async/2") + get("/hello") + get("/on-executor")));
  auto responder = responders_.wait(0);
  ASSERT_TRUE(responder);
  responder->respond(Response::json(200, R"({"async":2})"));
  const auto first = c.read_response();
  const auto second = c.read_response();
  const auto third = c.read_response();
  const auto fourth = c.read_response();
  ASSERT_TRUE(first && second && third && fourth);
  EXPECT_EQ(first->body, R"({"hello":"world"})");
  EXPECT_EQ(second->body, R"({"async":2})");
  EXPECT_EQ(third->body, R"({"hello":"world"})");
  EXPECT_EQ(fourth->status, 200);
  EXPECT_EQ(responders_.gone_count(), 0);
}

// Test that on_client_gone fires when the client hangs up before the answer,
// that a later respond() is harmless, and that the server keeps serving.
TEST_F(AsyncServerTest, ClientGoneFiresWhenTheClientCloses) {
  start();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send(get("/async/3")));
    ASSERT_TRUE(responders_.wait(0));
    c.close();
  }
  ASSERT_TRUE(responders_.wait_gone(1));
  auto late = std::make_shared<ScriptedSource>(std::vector<std::string>{"late"});
  responders_.wait(0)->respond(streamed(late));  // dropped, and its body source cancelled
  EXPECT_EQ(late->cancels, 1);
  EXPECT_EQ(late->reads, 0);
  RawConnection next(port());
  ASSERT_TRUE(next.send(get("/hello")));
  const auto r = next.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(responders_.gone_count(), 1);
}

// Test that stop() waits for an outstanding async request, which is still answered.
TEST_F(AsyncServerTest, DrainWaitsForAnOutstandingAsyncRequest) {
  start();
  RawConnection idle(port());
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());
  RawConnection busy(port());
  ASSERT_TRUE(busy.send(get("/async/4")));
  auto responder = responders_.wait(0);
  ASSERT_TRUE(responder);

  server_->stop();
  EXPECT_TRUE(idle.wait_closed(2s));
  EXPECT_EQ(run_done_.wait_for(0s), std::future_status::timeout);  // still draining

  responder->respond(Response::json(200, R"({"drained":true})"));
  const auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"drained":true})");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(busy.wait_closed(2s));
  EXPECT_EQ(run_done_.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(responders_.gone_count(), 0);
}

// Test that when drain_timeout passes, the force-closed request fires on_client_gone.
TEST_F(AsyncServerTest, DrainTimeoutFiresClientGone) {
  auto options = test_options();
  options.drain_timeout = 200ms;
  start(options);
  RawConnection busy(port());
  ASSERT_TRUE(busy.send(get("/async/5")));
  ASSERT_TRUE(responders_.wait(0));
  server_->stop();
  ASSERT_EQ(run_done_.wait_for(3s), std::future_status::ready);
  EXPECT_TRUE(responders_.wait_gone(1));
  EXPECT_TRUE(busy.wait_closed(2s));
  responders_.wait(0)->respond(Response::json(200, "{}"));  // dropped
}

// Test that an async handler that throws, or drops its responder, costs a 500 JSON answer only.
TEST_F(AsyncServerTest, ThrowingOrForgetfulAsyncHandlerIsA500) {
  start();
  RawConnection c(port());
  for (const char* target : {"/async-throw", "/async-drop"}) {
    ASSERT_TRUE(c.send(get(target)));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 500) << target;
    EXPECT_EQ(r->json()["error"], "server_error") << target;
  }
  ASSERT_TRUE(c.send(get("/hello")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Test that a streamed body with a known length is sent with Content-Length
// and the connection is kept alive; the source is released once the body ends.
TEST_F(AsyncServerTest, StreamsABodyWithContentLength) {
  std::weak_ptr<ScriptedSource> last_source;
  std::mutex mu;
  router_.add("GET", "/sized", Dispatch::kInline, [&](const Request&, const PathParams&) {
    auto source =
        std::make_shared<ScriptedSource>(std::vector<std::string>{"hello ", "streamed ", "world"});
    std::lock_guard lock(mu);
    last_source = source;
    return streamed(source, 20);
  });
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/sized")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "20");
  EXPECT_FALSE(r->header("Transfer-Encoding"));
  EXPECT_EQ(r->body, "hello streamed world");
  EXPECT_TRUE(r->header("X-Request-Id"));

  ASSERT_TRUE(c.send(get("/hello")));  // served only after the body ended
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::lock_guard lock(mu);
  EXPECT_TRUE(last_source.expired());
}

// Test that a body of unknown length is chunked for HTTP/1.1, that the
// handler cannot override framing, and that the source is released at its end.
TEST_F(AsyncServerTest, StreamsAChunkedBody) {
  std::weak_ptr<ScriptedSource> last_source;
  std::mutex mu;
  router_.add("GET", "/chunked", Dispatch::kInline, [&](const Request&, const PathParams&) {
    auto source = std::make_shared<ScriptedSource>(
        std::vector<std::string>{"first,", std::string(5000, 'm'), ",last"});
    std::lock_guard lock(mu);
    last_source = source;
    Response response = streamed(source);
    response.headers.push_back({"Content-Length", "3"});
    response.headers.push_back({"Transfer-Encoding", "identity"});
    return response;
  });
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/chunked")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(r->header("Content-Length"));
  EXPECT_EQ(r->chunks, 3u);
  EXPECT_EQ(r->body, "first," + std::string(5000, 'm') + ",last");
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(last_source.expired());  // released before the last chunk was written
  }
  ASSERT_TRUE(c.send(get("/hello")));
  ASSERT_TRUE(c.read_response());
}

// Test that an HTTP/1.0 client gets a streamed body of unknown length
// delimited by the end of the connection.
TEST_F(AsyncServerTest, StreamsToHttp10UntilClose) {
  router_.add("GET", "/chunked", Dispatch::kInline, [](const Request&, const PathParams&) {
    return streamed(std::make_shared<ScriptedSource>(std::vector<std::string>{"old ", "client"}));
  });
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send("GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto all = c.read_until_closed();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->starts_with("HTTP/1.0 200")) << *all;
  EXPECT_EQ(all->find("chunked"), std::string::npos);
  EXPECT_TRUE(all->ends_with("\r\n\r\nold client")) << *all;
}

// Test that a source failing mid-body closes the connection and is cancelled.
TEST_F(AsyncServerTest, SourceFailingMidBodyClosesTheConnection) {
  std::shared_ptr<ScriptedSource> sized;
  std::shared_ptr<ScriptedSource> chunked;
  router_.add("GET", "/sized", Dispatch::kInline, [&](const Request&, const PathParams&) {
    sized = std::make_shared<ScriptedSource>(std::vector<std::string>{"part"}, true);
    return streamed(sized, 100);
  });
  router_.add("GET", "/chunked", Dispatch::kInline, [&](const Request&, const PathParams&) {
    chunked = std::make_shared<ScriptedSource>(std::vector<std::string>{"part"}, true);
    return streamed(chunked);
  });
  start();
  for (const char* target : {"/sized", "/chunked"}) {
    RawConnection c(port());
    ASSERT_TRUE(c.send(get(target) + get("/hello")));
    EXPECT_FALSE(c.read_response()) << target;  // a truncated body, then the end
    EXPECT_TRUE(c.wait_closed()) << target;
  }
  EXPECT_EQ(sized->cancels, 1);
  EXPECT_EQ(chunked->cancels, 1);
}

// Test that HEAD with a source sends the headers only and cancels the source unread.
TEST_F(AsyncServerTest, HeadWithASourceSendsHeadersOnly) {
  std::shared_ptr<ScriptedSource> source;
  router_.add("HEAD", "/sized", Dispatch::kInline, [&](const Request&, const PathParams&) {
    source = std::make_shared<ScriptedSource>(std::vector<std::string>{"0123456789A"});
    return streamed(source, 11);
  });
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send("HEAD /sized HTTP/1.1\r\nHost: test\r\n\r\n"));
  const auto r = c.read_response(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "11");
  ASSERT_TRUE(c.send(get("/hello")));  // no body bytes sit in between
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, R"({"hello":"world"})");
  EXPECT_EQ(source->reads, 0);
  EXPECT_EQ(source->cancels, 1);
}

// Test that the source is read one piece at a time: the next read() comes
// only after the previous piece was written, so a slow client slows it down.
TEST_F(AsyncServerTest, SlowReaderGetsOnePieceAtATime) {
  constexpr std::size_t kPiece = 16 << 20;  // far more than the sockets buffer
  constexpr int kPieces = 3;
  std::atomic<std::size_t> consumed{0};
  std::shared_ptr<BigSource> source;
  router_.add("GET", "/big", Dispatch::kInline, [&](const Request&, const PathParams&) {
    source = std::make_shared<BigSource>(kPiece, kPieces, consumed);
    return streamed(source, kPiece * kPieces);
  });
  start();
  RawConnection c(port(), /*receive_buffer=*/64 << 10);
  ASSERT_TRUE(c.send(get("/big")));
  const auto r = c.read_response(5s, /*head=*/true);  // the header only
  ASSERT_TRUE(r);
  ASSERT_EQ(r->header("Content-Length"), std::to_string(kPiece * kPieces));
  while (consumed < kPiece * kPieces) {
    const std::size_t n = c.discard_some(64 << 10);
    ASSERT_GT(n, 0u) << "after " << consumed << " bytes";
    consumed += n;
  }
  ASSERT_TRUE(c.send(get("/hello")));  // the body is over on the server too
  ASSERT_TRUE(c.read_response());
  const auto at_read = source->consumed_at_read();
  ASSERT_EQ(at_read.size(), static_cast<std::size_t>(kPieces + 1));  // the pieces, then done
  for (std::size_t i = 1; i < at_read.size(); ++i) {
    // Piece i was written before read() i+1: the client had read most of it
    // (all but what the kernel buffers hold, a few MB at most).
    EXPECT_GE(at_read[i], i * kPiece - kPiece / 2) << "read " << i + 1;
  }
}

// Test that a server stopping in the middle of a streamed body cancels the source.
TEST_F(AsyncServerTest, StopMidStreamCancelsTheSource) {
  pending_ = std::make_shared<PendingSource>();
  router_.add("GET", "/pending", Dispatch::kInline,
              [this](const Request&, const PathParams&) { return streamed(pending_); });
  auto options = test_options();
  options.drain_timeout = 200ms;
  start(options);
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/pending")));
  const auto r = c.read_response(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Transfer-Encoding"), "chunked");
  ASSERT_TRUE(pending_->wait_read());
  server_->stop();
  EXPECT_TRUE(pending_->wait_cancelled());
  EXPECT_EQ(run_done_.wait_for(3s), std::future_status::ready);
  EXPECT_TRUE(c.wait_closed());
}

// Test that an async handler can answer with a streamed body.
TEST_F(AsyncServerTest, AsyncHandlerAnswersWithAStreamedBody) {
  start();
  RawConnection c(port());
  ASSERT_TRUE(c.send(get("/async/6")));
  auto responder = responders_.wait(0);
  ASSERT_TRUE(responder);
  responder->respond(
      streamed(std::make_shared<ScriptedSource>(std::vector<std::string>{"relayed ", "body"})));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "relayed body");
  EXPECT_EQ(r->chunks, 2u);
}

}  // namespace
}  // namespace latchkey::http
