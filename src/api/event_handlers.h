// The webhook outbox over HTTP (docs/webhooks.md), ADMIN only (403 otherwise):
//   GET  /api/v1/events?status=pending|delivered|dead&limit=&cursor=
//                                         one page of events, newest first
//   POST /api/v1/events/{id}/redeliver    pending again, due now, attempts reset
//   POST /api/v1/events/test              enqueues a webhook.test event (409
//                                         when webhooks are not configured)
#pragma once

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response list_events(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response redeliver_event(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response send_test_event(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
