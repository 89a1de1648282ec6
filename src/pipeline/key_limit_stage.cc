#include <string>

#include "limits/limits.h"
#include "pipeline/refusals.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

// seed 004: 60 requests per minute per API key, and 5 concurrent requests
// per endpoint. Every request of a key-derived token counts against its key,
// and so does each exchange of the key itself (docs/rate-limits.md); account
// tokens are not key-derived and have no per-key limit.
class KeyLimitStage final : public Stage {
 public:
  explicit KeyLimitStage(const Services& services) : services_(services) {}

  std::optional<http::Response> on_request(Exchange& ex) const override {
    const limits::Limits& limits = services_.limits;
    const Requirement& req = ex.requirement();
    KeyIdentity key;
    if (ex.principal && ex.principal->key) {
      key = {ex.principal->key->key_id, ex.principal->key->role_id};
    } else if (req.credential == Credential::kApiKey && !ex.presented_api_key().empty()) {
      auto verified = services_.api_keys.verify(ex.presented_api_key());
      if (!verified) {
        // A deactivated or expired key is still identified (its digest
        // matched): its refusal counts in the key's usage.
        for (const auto& [name, value] : verified.error().details) {
          if (name == "key_id") ex.usage_key_id = value;
        }
        return std::nullopt;  // the handler's 401 says why
      }
      key = std::move(*verified);
      ex.usage_key_id = key.key_id;
    } else {
      return std::nullopt;
    }
    const limits::KeyLimits applied = limits.policy != nullptr
                                          ? limits.policy->for_key(key.key_id, key.role_id)
                                          : limits::KeyLimits{};
    if (limits.rate != nullptr && applied.requests_per_minute > 0) {
      limits::RateLimitState state = limits.rate->admit(key.key_id, applied.requests_per_minute);
      if (state.unavailable) {
        // Fail-closed (or open, when configured) is decided here, once.
        limits::count_unavailable(limits.fail_open);
        if (!limits.fail_open) {
          ex.refusal_reason = "limits_unavailable";
          return limits_unavailable();
        }
      } else if (!state.admitted) {
        limits::count_rejection("rate");
        ex.refusal_reason = "rate_limited";
        return refusal(req.audience, too_many_requests(state), "rate_limited");
      }
      if (!state.unavailable) ex.rate = state;
    }
    if (req.key_limit == KeyLimit::kRateAndConcurrency && applied.concurrent_per_route > 0 &&
        limits.concurrency != nullptr) {
      limits::SlotAcquisition got = limits.concurrency->acquire(key.key_id + " " + req.limit_scope,
                                                                applied.concurrent_per_route);
      if (got.outcome == limits::SlotOutcome::kUnavailable) {
        limits::count_unavailable(limits.fail_open);
        if (limits.fail_open) return std::nullopt;
        ex.refusal_reason = "limits_unavailable";
        return limits_unavailable();
      }
      if (got.outcome == limits::SlotOutcome::kRefused) {
        limits::count_rejection("concurrency");
        ex.refusal_reason = "concurrency_limited";
        http::Response r = too_many_concurrent(applied.concurrent_per_route);
        if (ex.rate) add_rate_limit_headers(r, *ex.rate);
        return refusal(req.audience, std::move(r), "concurrency_limited");
      }
      ex.holds.push_back(std::make_shared<limits::Slot>(std::move(got.slot)));
    }
    return std::nullopt;
  }

  void on_response(Exchange& ex, http::Response& response) const override {
    if (ex.rate && response.status != 429) add_rate_limit_headers(response, *ex.rate);
  }

 private:
  const Services& services_;
};

}  // namespace

std::unique_ptr<Stage> make_key_limit_stage(const Services& services) {
  return std::make_unique<KeyLimitStage>(services);
}

}  // namespace latchkey::pipeline
