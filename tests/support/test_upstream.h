// A small HTTP/1.1 upstream for gateway tests (tests/integration/gateway_test.cc),
// on 127.0.0.1 and a free port, one thread per connection, keep-alive.
// What it answers depends on the path:
//
//   /hold/...      waits until the test calls release(n) (or the upstream is
//                  destroyed), then answers like the echo below. While it
//                  waits it watches its connection: if the peer closes it,
//                  the request counts as abandoned.
//   /big/N         200 with a chunked body of N bytes (body_pattern(N)),
//                  written piece by piece (any size; it waits for a slow reader).
//   /sized/N       200 with a Content-Length body of N bytes (body_pattern(N)),
//                  head and body in one write.
//   /split/...     200 chunked "hello world": the head and "hello" in one
//                  write, then, once released like /hold/, " world" and the end.
//   /badchunk/...  200 chunked, head and a malformed chunk in one write.
//   /vanish/...    on a connection that served before: closes it without an
//                  answer; as the first request of a connection: the echo.
//   /status/NNN    status NNN with a short body.
//   /close/...     echo with "Connection: close", then closes the connection.
//   /drop/...      echo as if keeping the connection alive, then closes it.
//   /early/...     "103 Early Hints" (one write), then the echo (another).
//   /continue/...  "100 Continue", "103 Early Hints" and the echo, one write.
//   /switch/...    "101 Switching Protocols", then waits for the next request.
//   /nolength/...  200 chunked "hello", no Content-Length (none for HEAD either).
//   anything else  200, Content-Length, echoing what it received (see echo()).
//
// Every final response carries "X-Upstream: test", two Set-Cookie headers,
// "Server: test-upstream" and RateLimit-Limit/-Remaining/-Reset/-Policy.
// Thread-safety: every method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace latchkey::testing {

struct UpstreamRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  // How many recv() calls returned bytes of this request (0: all of it had
  // arrived with the one before). 1: head and body came in one piece.
  int recv_calls = 0;
  // The first value of a header (case-insensitive), or "" when absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

class TestUpstream {
 public:
  TestUpstream();
  ~TestUpstream();
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<UpstreamRequest> requests() const;
  int connections() const;  // accepted so far

  // Waits (bounded by `limit`, a safety net, not a delay) until `n`
  // requests are being held / have been abandoned by the peer. False on timeout.
  bool wait_held(int n, std::chrono::milliseconds limit = std::chrono::seconds(10));
  bool wait_abandoned(int n, std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Likewise until `n` requests have arrived / `n` connections have ended.
  bool wait_requests(int n, std::chrono::milliseconds limit = std::chrono::seconds(10));
  bool wait_closed(int n, std::chrono::milliseconds limit = std::chrono::seconds(10));
  int held() const;
  // Lets `n` held requests answer (requests held later use up what is left).
  void release(int n);

  // The body of /big/N: deterministic bytes.
  static std::string body_pattern(std::size_t n);

 private:
  void accept_loop();
  void serve(int fd);
  bool hold(int fd);  // false when the peer went away

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: readable once released (or stopping)
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<UpstreamRequest> requests_;  // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;       // GUARDED_BY(mu_)
  std::vector<int> fds_;                   // GUARDED_BY(mu_)
  int held_ = 0;                           // GUARDED_BY(mu_)
  int abandoned_ = 0;                      // GUARDED_BY(mu_)
  int connections_ = 0;                    // GUARDED_BY(mu_)
  int closed_ = 0;                         // GUARDED_BY(mu_)
  bool stopping_ = false;                  // GUARDED_BY(mu_)
};

}  // namespace latchkey::testing
