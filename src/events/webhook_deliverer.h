// WebhookDeliverer: sends the outbox's events to the configured endpoint
// (docs/webhooks.md). One background thread claims due events, POSTs each
// (signed, events/webhook_signature.h) and marks it delivered (2xx) or
// failed: retried later on the RetrySchedule until max_attempts, then dead.
// At least once: a crash between a POST and its mark sends it again once
// the claim lapses. Order is not guaranteed. Time comes from the injected
// Clock (due times, signatures, back-off); the thread only waits in wall
// time between polls, so a test clock that jumps is noticed within
// `idle_poll`.
//
// Metrics (docs/metrics.md): latchkey_webhook_deliveries_total,
// latchkey_webhook_failed_attempts_total, latchkey_webhook_dead_events_total
// and the gauge latchkey_webhook_outbox_pending.
//
// Thread-safety: every method may be called from any thread; deliver_due()
// is meant for tests that run no thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "events/retry_schedule.h"
#include "store/event_outbox_store.h"

namespace latchkey::client {
class Transport;  // latchkey/client/transport.h
}

namespace latchkey::events {

struct WebhookDelivererOptions {
  std::string url;     // validated by the configuration (https, or http to loopback)
  std::string secret;  // the HMAC key; never logged
  int max_attempts = 20;
  // The transport's own timeout is what cuts a slow receiver off; this is
  // how long a claim lasts. One claim covers a whole batch sent one after
  // another, so it must exceed `batch` attempts: see batch_claim_lease().
  Duration claim_lease = std::chrono::seconds(32 * 10 + 60);
  RetrySchedule schedule;
  Duration retention = std::chrono::hours(24 * 30);  // delivered and dead events
  std::chrono::milliseconds idle_poll{1000};         // wall time between polls
  int batch = 32;
  std::function<void(std::string_view)> warn;  // store errors (never secrets)
};

struct DeliveryStats {
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t dead = 0;
};

class WebhookDeliverer {
 public:
  WebhookDeliverer(EventOutboxStore& outbox, client::Transport& transport, const Clock& clock,
                   Random& random, WebhookDelivererOptions options);
  ~WebhookDeliverer();  // stop()
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  void start();
  // Finishes the attempt in progress (bounded by the transport's timeout)
  // and joins the thread. Undelivered events stay in the outbox.
  void stop();
  // Polls at once (an event was enqueued or requeued).
  void wake();

  // One pass: claims up to `batch` due events and attempts each. Returns
  // how many were attempted.
  Result<int> deliver_due();
  // Forgets delivered and dead events older than the retention.
  Result<std::int64_t> prune();

  DeliveryStats stats() const;

 private:
  void run();
  void attempt(const OutboxEvent& event);
  void update_backlog();

  EventOutboxStore& outbox_;
  client::Transport& transport_;
  const Clock& clock_;
  Random& random_;
  const WebhookDelivererOptions options_;

  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_attempts_{0};
  std::atomic<std::uint64_t> dead_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // GUARDED_BY(mu_)
  bool woken_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// The lease of a claim of `batch` events attempted one after another, each
// cut off by the transport after `attempt_timeout`: every attempt of the
// batch may take the full timeout, plus a minute of margin for the store's
// writes, so that no claim lapses while its batch is still being sent.
Duration batch_claim_lease(Duration attempt_timeout, int batch);

// The error class stored for a transport failure (never the URL, never a
// body): "timeout", "connect", "dns", "tls", "response_too_large" or
// "transport".
std::string transport_error_class(std::string_view description);

}  // namespace latchkey::events
