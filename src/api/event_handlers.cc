#include "api/event_handlers.h"

#include <charconv>
#include <string>

#include "api/audit_hooks.h"
#include "api/event_publishing.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "audit/audit_query.h"
#include "events/event_sink.h"
#include "store/event_outbox_store.h"

namespace latchkey::api {
namespace {

constexpr int kDefaultPageSize = 100;

Json optional_time(const std::optional<Instant>& at) {
  return at ? Json(format_rfc3339(*at)) : Json(nullptr);
}

// The listed form of an outbox event: what was (or will be) sent, and how
// delivery went. last_error is a status code or an error class only.
Json event_to_json(const OutboxEvent& e) {
  Json data = Json::parse(e.data_json, nullptr, false);
  return Json{{"id", e.id},
              {"type", e.type},
              {"occurred_at", format_rfc3339(e.occurred_at)},
              {"data", data.is_object() ? data : Json::object()},
              {"status", to_string(e.status)},
              {"attempts", e.attempts},
              {"enqueued_at", format_rfc3339(e.enqueued_at)},
              {"next_attempt_at", e.status == OutboxStatus::kPending
                                      ? Json(format_rfc3339(e.next_attempt_at))
                                      : Json(nullptr)},
              {"last_attempt_at", optional_time(e.last_attempt_at)},
              {"delivered_at", optional_time(e.delivered_at)},
              {"last_error", e.last_error.empty() ? Json(nullptr) : Json(e.last_error)}};
}

Result<std::shared_ptr<const Principal>> admin_caller(pipeline::Exchange& ex) {
  auto actor = verified_caller(ex);
  if (!actor) return fail(actor.error());
  if (auto s = require_admin(**actor); !s) return fail(s.error());
  return actor;
}

Result<int> limit_param(const audit::QueryParams& params) {
  auto text = audit::param(params, "limit");
  if (!text) return kDefaultPageSize;
  int limit = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || end != text->data() + text->size() || limit < 1 ||
      limit > kMaxOutboxPageSize) {
    return fail(Error::invalid_request("limit must be an integer between 1 and " +
                                       std::to_string(kMaxOutboxPageSize)));
  }
  return limit;
}

}  // namespace

http::Response list_events(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ex);
    if (!actor) return fail(actor.error());
    auto params = audit::parse_query_string(request.query(), {"status", "limit", "cursor"});
    if (!params) return fail(params.error());
    OutboxQuery query;
    if (auto status = audit::param(*params, "status")) {
      query.status = parse_outbox_status(*status);
      if (!query.status) {
        return fail(Error::invalid_request("status must be pending, delivered or dead"));
      }
    }
    auto limit = limit_param(*params);
    if (!limit) return fail(limit.error());
    query.limit = *limit;
    if (auto cursor = audit::param(*params, "cursor")) {
      std::int64_t before = 0;
      auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), before);
      if (ec != std::errc() || end != cursor->data() + cursor->size() || before < 1) {
        return fail(Error::invalid_request("cursor is not a cursor this server returned"));
      }
      query.before = before;
    }
    auto page = ctx.store.outbox().list(query);
    if (!page) return fail(page.error());
    Json events = Json::array();
    for (const OutboxEvent& e : page->events) events.push_back(event_to_json(e));
    Json body = {{"events", std::move(events)}, {"next_cursor", nullptr}};
    if (page->next) body["next_cursor"] = std::to_string(*page->next);
    http::Response r = json_response(200, body);
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response redeliver_event(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string id(params.get("id"));
    auto existing = ctx.store.outbox().get(id);
    if (!existing) return fail(existing.error());
    if (!*existing) return fail(Error::not_found("no event " + id));
    if (auto s = audit_admin_change(
            ctx, ex, audit_event(ctx, request, actor->get(), "event.redeliver", "event/" + id));
        !s) {
      return fail(s.error());
    }
    auto requeued = ctx.store.outbox().requeue(id, ctx.clock.now());
    if (!requeued) return fail(requeued.error());
    if (ctx.events != nullptr) ctx.events->outbox_changed();  // send it now, not at the next poll
    http::Response r = json_response(200, event_to_json(*requeued));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response send_test_event(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = admin_caller(ex);
    if (!actor) return fail(actor.error());
    if (ctx.events == nullptr || dynamic_cast<events::NullEventSink*>(ctx.events) != nullptr) {
      return fail(
          Error::conflict("webhooks are not configured on this server (add a [webhooks] table, "
                          "docs/webhooks.md)"));
    }
    if (auto s = audit_admin_change(
            ctx, ex, audit_event(ctx, request, actor->get(), "event.test", "events"));
        !s) {
      return fail(s.error());
    }
    events::Event event;
    event.type = events::EventType::kWebhookTest;
    event.occurred_at = ctx.clock.now();
    event.data = {{"by", (*actor)->user_id}};
    if (auto s = ctx.events->publish(event); !s) return fail(s.error());
    http::Response r = json_response(202, Json{{"enqueued", true}, {"type", "webhook.test"}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
