// The JSON a webhook receives (docs/webhooks.md):
//   {"id":"evt_…","type":"key.created","occurred_at":"<RFC 3339>","data":{…}}
// The body is rendered from the stored fields at every attempt, the same
// bytes each time. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"
#include "events/event.h"

namespace latchkey::events {

// The event's "data" object as JSON text (string values, in order).
std::string data_json(const Event& event);

std::string webhook_body(std::string_view id, std::string_view type, Instant occurred_at,
                         std::string_view data_json);

}  // namespace latchkey::events
