// What the rotation endpoints share (docs/rotation.md): the optional
// {"previous_valid_for_seconds": N} body of a Client Secret reset and of an
// API key reroll, and publishing their events.
#pragma once

#include "api/api_context.h"
#include "core/error.h"
#include "core/time.h"
#include "events/event.h"
#include "http/message.h"

namespace latchkey::api {

// The overlap a request asks for: 0 for an empty body, {} or a null field;
// N seconds for {"previous_valid_for_seconds": N} with N an integer 0 ..
// 604800. Anything else (not a JSON object, another field, a string, a
// fraction, out of range) is kInvalidRequest naming the field.
Result<Duration> previous_valid_for(const http::Request& request);

// Publishes `event` to ctx.events (when set), after the change committed.
// A failure is logged (never with a secret) and never fails the request.
void publish(const ApiContext& ctx, const events::Event& event);

}  // namespace latchkey::api
