// Usage per API key (docs/key-usage.md):
//
//   GET /api/v1/keys/{id}/usage?granularity=hour|day&from=RFC3339&to=RFC3339
//
// The key's owner or an admin (anyone else: 404, as for the key's other
// reads). Counts per bucket, route and status class, stored and not yet
// flushed together, with totals.
#pragma once

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response key_usage(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
