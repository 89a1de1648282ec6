// A webhook endpoint for tests (tests/integration/webhooks_test.cc): HTTP/1.1
// on 127.0.0.1, one connection at a time, "Connection: close". Answers the
// n-th request with the n-th scripted status, then 200. It can listen on a
// given port, so that a test can start it after a server was told to send
// there (the receiver "comes back up").
// Thread-safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace latchkey::testing {

struct ReceivedWebhook {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int answered = 0;  // the status it was given
  // The first value of a header (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

class WebhookReceiver {
 public:
  // port 0: any free port.
  explicit WebhookReceiver(int port = 0, std::vector<int> statuses = {});
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  std::vector<ReceivedWebhook> requests() const;
  // Waits (bounded: a safety net, not a delay) until `n` requests arrived.
  bool wait_requests(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(15));

  // A loopback port nobody listens on (bound, then released).
  static int unused_port();

 private:
  void serve();

  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::vector<int> statuses_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedWebhook> requests_;  // GUARDED_BY(mu_)
};

}  // namespace latchkey::testing
