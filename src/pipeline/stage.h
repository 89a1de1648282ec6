// Stage: one step of the request pipeline (chain.h), in the manner of
// Envoy's HTTP filters. Each stage either lets the exchange continue or
// answers it; on the way out every stage that ran sees the response, in
// reverse order, and releases what it holds.
//
// Stages are built once per server and shared by every route and thread:
// per-request state lives in the Exchange, never in the stage.
#pragma once

#include <optional>

#include "http/message.h"
#include "pipeline/exchange.h"

namespace latchkey::pipeline {

class Stage {
 public:
  virtual ~Stage() = default;
  // nullopt: continue with the next stage (or the handler). A response:
  // answer with it; later stages and the handler do not run.
  virtual std::optional<http::Response> on_request(Exchange& exchange) const = 0;
  // Runs for every stage whose on_request ran (the one that answered too),
  // last first, with the response about to be sent.
  virtual void on_response(Exchange& /*exchange*/, http::Response& /*response*/) const {}
};

}  // namespace latchkey::pipeline
