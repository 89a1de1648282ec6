// Publishing events (events/event.h) from handlers, after their change is
// committed. Never fails the request: the sink logs a failed enqueue.
#pragma once

#include <string>

#include "api/api_context.h"
#include "events/event.h"
#include "store/key_store.h"

namespace latchkey::api {

// Publishes through ctx.events when set (null: not recorded).
void publish_event(const ApiContext& ctx, const events::Event& event);

// key.created / key.deactivated: key_id, user_id, name, expires_at (and
// for a deactivation, `by`: who did it). Never the key.
events::Event key_event(events::EventType type, const ApiKey& key, Instant at);

}  // namespace latchkey::api
