#include "pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "http/error_response.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

// Handlers return errors as values; an exception is a bug that costs one
// 500, and the stages still release what they hold on the way out.
http::Response invoke(const Handler& handler, Exchange& ex) {
  try {
    return handler(ex);
  } catch (const std::exception& e) {
    spdlog::error("handler threw: request_id={} what={}", ex.request().request_id, e.what());
  } catch (...) {
    spdlog::error("handler threw a non-exception: request_id={}", ex.request().request_id);
  }
  return http::error_response(Error::internal("internal server error"));
}

// Runs the stages' way in; the index past the last stage that ran, and the
// answer of the one that refused, if any.
std::pair<std::size_t, std::optional<http::Response>> run_in(const std::vector<const Stage*>& chain,
                                                             Exchange& ex) {
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (auto answer = chain[i]->on_request(ex)) return {i + 1, std::move(answer)};
  }
  return {chain.size(), std::nullopt};
}

void run_out(const std::vector<const Stage*>& chain, std::size_t ran, Exchange& ex,
             http::Response& response) {
  for (std::size_t i = ran; i-- > 0;) chain[i]->on_response(ex, response);
}

// The responder an asynchronous handler answers through: the stages' way
// out runs before the answer is handed to the connection's responder.
class ChainResponder final : public http::Responder {
 public:
  // A route's requirement and stages, shared by its requests (no copy per
  // request), with the pipeline that owns the stages.
  struct Route {
    Requirement requirement;
    std::vector<const Stage*> chain;
    std::shared_ptr<const Pipeline> pipeline;
  };
  struct State {
    http::Request request;
    http::PathParams params;
    std::shared_ptr<const Route> route;
    std::size_t ran = 0;
    std::optional<Exchange> exchange;
  };

  ChainResponder(std::shared_ptr<State> state, std::shared_ptr<http::Responder> inner)
      : state_(std::move(state)), inner_(std::move(inner)) {}

  void respond(http::Response response) override {
    std::shared_ptr<State> state = std::exchange(state_, nullptr);
    if (!state) return;  // answered already
    run_out(state->route->chain, state->ran, *state->exchange, response);
    state->exchange->holds.clear();
    inner_->respond(std::move(response));
  }
  void on_client_gone(std::function<void()> on_gone) override {
    inner_->on_client_gone(std::move(on_gone));
  }
  const http::Executor& executor() const override { return inner_->executor(); }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<http::Responder> inner_;
};

}  // namespace

Pipeline::Pipeline(Services services)
    : services_(services),
      audit_(make_audit_stage(services_)),
      throttle_(make_throttle_stage(services_)),
      authenticate_(make_authenticate_stage(services_)),
      key_limits_(make_key_limit_stage(services_)),
      decide_(make_decide_stage(services_)),
      usage_(make_usage_stage(services_)) {}

Pipeline::~Pipeline() = default;

std::vector<const Stage*> Pipeline::chain_for(const Requirement& req) const {
  std::vector<const Stage*> chain;
  // Public: nothing to check or record, unless throttled (the console's
  // sign-in: its handler notes its own audit record).
  if (req.credential == Credential::kNone && req.throttle == Throttle::kNone) return chain;
  // Usage per key first, so that its way out runs last and counts the
  // status actually sent, whichever stage answered.
  if (usage_ && (req.credential == Credential::kBearer || req.credential == Credential::kApiKey)) {
    chain.push_back(usage_.get());
  }
  chain.push_back(audit_.get());
  if (req.throttle != Throttle::kNone) chain.push_back(throttle_.get());
  chain.push_back(authenticate_.get());
  if (req.key_limit != KeyLimit::kNone) chain.push_back(key_limits_.get());
  if (req.credential == Credential::kBearer &&
      (req.admin || req.write || req.decision != nullptr)) {
    chain.push_back(decide_.get());
  }
  return chain;
}

http::Response run_chain(const std::vector<const Stage*>& chain, Exchange& ex,
                         const Handler& handler) {
  auto [ran, answer] = run_in(chain, ex);
  http::Response response = answer ? std::move(*answer) : invoke(handler, ex);
  run_out(chain, ran, ex, response);
  ex.holds.clear();
  return response;
}

http::Handler Pipeline::wrap(std::shared_ptr<const Pipeline> self, Requirement requirement,
                             Handler handler) {
  std::vector<const Stage*> chain = self->chain_for(requirement);
  return
      [self = std::move(self), requirement = std::move(requirement), chain = std::move(chain),
       handler = std::move(handler)](const http::Request& request, const http::PathParams& params) {
        Exchange ex(requirement, request, params);
        return run_chain(chain, ex, handler);
      };
}

http::AsyncHandler Pipeline::wrap_async(std::shared_ptr<const Pipeline> self,
                                        Requirement requirement, AsyncHandler handler) {
  auto route = std::make_shared<ChainResponder::Route>();
  route->chain = self->chain_for(requirement);
  route->requirement = std::move(requirement);
  route->pipeline = std::move(self);
  return [route = std::shared_ptr<const ChainResponder::Route>(std::move(route)),
          handler = std::move(handler)](http::Request request, http::PathParams params,
                                        std::shared_ptr<http::Responder> responder) {
    auto state = std::make_shared<ChainResponder::State>();
    state->request = std::move(request);
    state->params = std::move(params);
    state->route = route;
    state->exchange.emplace(route->requirement, state->request, state->params);
    Exchange& ex = *state->exchange;
    auto [ran, answer] = run_in(route->chain, ex);
    state->ran = ran;
    auto chained = std::make_shared<ChainResponder>(state, std::move(responder));
    if (answer) {
      chained->respond(std::move(*answer));
      return;
    }
    handler(ex, state->request, chained);
  };
}

}  // namespace latchkey::pipeline
