#include "server/webhook_wiring.h"

#include <string>

#include "events/outbox_event_sink.h"
#include "events/webhook_deliverer.h"
#include "latchkey/client/transport.h"

namespace latchkey::server {

Result<std::unique_ptr<WebhookSink>> WebhookSink::create(
    const WebhookConfig& config, EventOutboxStore& outbox, const Clock& clock, Random& random,
    bool test_clock, std::function<void(std::string_view)> warn) {
  std::unique_ptr<WebhookSink> out(new WebhookSink());
  out->config_ = config;
  if (!config.enabled) return out;
  auto secret = take_webhook_secret(config);
  if (!secret) return fail(secret.error());

  const auto timeout = std::chrono::seconds(config.timeout_seconds);
  client::TransportOptions transport_options;
  transport_options.timeout = timeout;
  transport_options.connect_timeout = timeout;
  transport_options.user_agent = "latchkey-webhooks/0.1";
  transport_options.max_response_bytes = std::size_t{1} << 20;  // the body is ignored
  out->transport_ = client::make_curl_transport(transport_options);

  events::WebhookDelivererOptions options;
  options.url = config.url;
  options.secret = std::move(*secret);
  options.max_attempts = static_cast<int>(config.max_attempts);
  options.claim_lease = events::batch_claim_lease(timeout, options.batch);
  options.retention = std::chrono::hours(24 * config.retention_days);
  // A test clock jumps: look at the outbox more often than once a second.
  options.idle_poll = std::chrono::milliseconds(test_clock ? 100 : 1000);
  options.warn = warn;
  out->deliverer_ = std::make_unique<events::WebhookDeliverer>(outbox, *out->transport_, clock,
                                                               random, std::move(options));

  events::OutboxSinkOptions sink_options;
  for (const std::string& name : config.events) {
    sink_options.types.insert(*events::parse_event_type(name));  // validated with the config
  }
  sink_options.on_enqueued = [deliverer = out->deliverer_.get()] { deliverer->wake(); };
  sink_options.warn = std::move(warn);
  out->outbox_sink_ =
      std::make_unique<events::OutboxEventSink>(outbox, clock, random, std::move(sink_options));
  return out;
}

WebhookSink::~WebhookSink() { stop(); }

events::EventSink& WebhookSink::sink() {
  if (outbox_sink_) return *outbox_sink_;
  return no_events_;
}

void WebhookSink::start() {
  if (deliverer_) deliverer_->start();
}

void WebhookSink::stop() {
  if (deliverer_) deliverer_->stop();
}

std::string WebhookSink::describe() const {
  if (!config_.enabled) return "off";
  const std::string& url = config_.url;
  const auto host_end = url.find('/', url.find("://") + 3);
  return (config_.events.empty() ? std::string("all") : std::to_string(config_.events.size())) +
         " event types to " + url.substr(0, host_end) + ", at most " +
         std::to_string(config_.max_attempts) + " attempts each";
}

}  // namespace latchkey::server
