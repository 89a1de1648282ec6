// latchkeyd's webhook sink (docs/webhooks.md), built from the [webhooks]
// table: the libcurl transport, the background deliverer and the outbox
// EventSink that wakes it. Without the table: a NullEventSink and no thread.
//
// Thread-safety: build once in main; sink() may then be used from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "events/event_sink.h"
#include "server/webhook_config.h"
#include "store/event_outbox_store.h"

namespace latchkey::client {
class Transport;
}
namespace latchkey::events {
class WebhookDeliverer;
class OutboxEventSink;
}  // namespace latchkey::events

namespace latchkey::server {

class WebhookSink {
 public:
  // Reads the secret (take_webhook_secret: from the process environment
  // when there is no secret_file, which is then unset): its error is a
  // start-up error.
  static Result<std::unique_ptr<WebhookSink>> create(const WebhookConfig& config,
                                                     EventOutboxStore& outbox, const Clock& clock,
                                                     Random& random, bool test_clock,
                                                     std::function<void(std::string_view)> warn);
  ~WebhookSink();  // stop()

  events::EventSink& sink();
  void start();  // the deliverer's thread, once the server listens
  void stop();   // after the server drained; undelivered events stay
  // For the start-up log line: "<n> events to <scheme://host:port>" (never
  // the path, which may itself be a credential), or "off".
  std::string describe() const;

 private:
  WebhookSink() = default;

  WebhookConfig config_;
  events::NullEventSink no_events_;
  std::unique_ptr<client::Transport> transport_;
  std::unique_ptr<events::WebhookDeliverer> deliverer_;
  std::unique_ptr<events::OutboxEventSink> outbox_sink_;
};

}  // namespace latchkey::server
