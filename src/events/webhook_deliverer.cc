#include "events/webhook_deliverer.h"

#include <string>
#include <vector>

#include "events/webhook_payload.h"
#include "events/webhook_signature.h"
#include "latchkey/client/transport.h"
#include "metrics/metrics.h"

namespace latchkey::events {
namespace {

struct WebhookMetrics {
  metrics::Counter& delivered;
  metrics::Counter& failed;
  metrics::Counter& dead;
  metrics::Gauge& pending;
};

WebhookMetrics& webhook_metrics() {
  static WebhookMetrics m{
      metrics::default_registry().counter("latchkey_webhook_deliveries_total",
                                          "Webhook events delivered (answered 2xx)."),
      metrics::default_registry().counter(
          "latchkey_webhook_failed_attempts_total",
          "Webhook delivery attempts that failed (non-2xx, timeout, connection error)."),
      metrics::default_registry().counter(
          "latchkey_webhook_dead_events_total",
          "Webhook events given up on after max_attempts failed attempts."),
      metrics::default_registry().gauge("latchkey_webhook_outbox_pending",
                                        "Webhook events waiting in the outbox for delivery."),
  };
  return m;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

std::string transport_error_class(std::string_view description) {
  if (contains(description, "timed out") || contains(description, "Timeout")) return "timeout";
  if (contains(description, "resolve")) return "dns";
  if (contains(description, "SSL") || contains(description, "TLS") ||
      contains(description, "certificate")) {
    return "tls";
  }
  if (contains(description, "connect") || contains(description, "Connection refused")) {
    return "connect";
  }
  if (contains(description, "larger than")) return "response_too_large";
  return "transport";
}

Duration batch_claim_lease(Duration attempt_timeout, int batch) {
  return attempt_timeout * (batch < 1 ? 1 : batch) + std::chrono::seconds(60);
}

WebhookDeliverer::WebhookDeliverer(EventOutboxStore& outbox, client::Transport& transport,
                                   const Clock& clock, Random& random,
                                   WebhookDelivererOptions options)
    : outbox_(outbox),
      transport_(transport),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {
  (void)webhook_metrics();  // registered (at 0) before the first scrape
}

WebhookDeliverer::~WebhookDeliverer() { stop(); }

void WebhookDeliverer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void WebhookDeliverer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDeliverer::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

DeliveryStats WebhookDeliverer::stats() const {
  return {delivered_.load(), failed_attempts_.load(), dead_.load()};
}

void WebhookDeliverer::run() {
  Instant last_prune{};
  for (;;) {
    int attempted = 0;
    if (auto n = deliver_due(); !n) {
      if (options_.warn)
        options_.warn("webhooks: cannot read the outbox: " + n.error().description);
    } else {
      attempted = *n;
    }
    if (clock_.now() - last_prune >= std::chrono::hours(1)) {
      last_prune = clock_.now();
      if (auto pruned = prune(); !pruned && options_.warn) {
        options_.warn("webhooks: outbox pruning failed: " + pruned.error().description);
      }
    }
    update_backlog();
    std::unique_lock lock(mu_);
    if (stop_) return;
    // A full batch: more may be due at once.
    if (attempted >= options_.batch) continue;
    cv_.wait_for(lock, options_.idle_poll, [this] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) return;
  }
}

Result<int> WebhookDeliverer::deliver_due() {
  const Instant now = clock_.now();
  // A read first: an idle poll must not queue a write behind the requests'.
  auto next = outbox_.next_due();
  if (!next) return fail(next.error());
  if (!*next || **next > now) return 0;
  auto due = outbox_.claim_due(now, options_.batch, options_.claim_lease);
  if (!due) return fail(due.error());
  int attempted = 0;
  for (const OutboxEvent& event : *due) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;  // the rest stay claimed until the lease lapses
    }
    attempt(event);
    ++attempted;
  }
  return attempted;
}

void WebhookDeliverer::attempt(const OutboxEvent& event) {
  client::HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.body = webhook_body(event.id, event.type, event.occurred_at, event.data_json);
  const Instant sent_at = clock_.now();
  const std::int64_t t = to_unix_millis(sent_at) / 1000;
  request.headers = {
      {"Content-Type", "application/json"},
      {"Latchkey-Event-Id", event.id},
      {"Latchkey-Event-Type", event.type},
      {std::string(kSignatureHeader), webhook_signature(options_.secret, t, request.body)}};
  auto response = transport_.send(request);
  std::string error;
  if (!response) {
    error = transport_error_class(response.error().description);
  } else if (response->status < 200 || response->status > 299) {
    error = "http " + std::to_string(response->status);
  }
  const Instant done = clock_.now();
  WebhookMetrics& m = webhook_metrics();
  if (error.empty()) {
    delivered_.fetch_add(1);
    m.delivered.inc();
    // Under the claim it was sent under: a redelivery requested meanwhile
    // (requeue) is not swallowed by this attempt, it sends the event again.
    auto marked = outbox_.mark_delivered(event.id, done, event.next_attempt_at);
    if (!marked && options_.warn) {
      // Sent, but not recorded: it will be sent again (receivers dedupe).
      options_.warn("webhooks: event " + event.id +
                    " was delivered but not marked: " + marked.error().description);
    }
    return;
  }
  failed_attempts_.fetch_add(1);
  m.failed.inc();
  const int failures = event.attempts + 1;
  OutboxFailure failure{done, error, std::nullopt, event.next_attempt_at};
  if (failures < options_.max_attempts) {
    failure.retry_at = done + retry_delay(failures, random_, options_.schedule);
  } else {
    dead_.fetch_add(1);
    m.dead.inc();
    if (options_.warn) {
      options_.warn("webhooks: event " + event.id + " (" + event.type + ") is dead after " +
                    std::to_string(failures) + " attempts; last error: " + error);
    }
  }
  if (auto marked = outbox_.mark_failed(event.id, failure); !marked && options_.warn) {
    options_.warn("webhooks: a failed attempt of event " + event.id +
                  " was not recorded: " + marked.error().description);
  }
}

Result<std::int64_t> WebhookDeliverer::prune() {
  return outbox_.prune(clock_.now() - options_.retention);
}

void WebhookDeliverer::update_backlog() {
  if (auto counts = outbox_.counts(); counts) webhook_metrics().pending.set(counts->pending);
}

}  // namespace latchkey::events
