// Pipeline: runs every route's request through one chain of stages
// (DESIGN.md "A request's way"):
//
//   [usage ->] audit -> throttle -> authenticate -> key limits -> decide -> handler
//
// Each stage continues or answers; on the way out every stage that ran sees
// the response in reverse order (audit last, so it records what was sent,
// whichever stage answered). Which stages a route runs follows from its
// Requirement: a public route runs none, a bearer route skips the throttle.
//
// Thread-safety: build before serving; wrap()/wrap_async() results are then
// safe from any thread. The Services must outlive the pipeline, and the
// pipeline every handler it wrapped.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "http/router.h"
#include "pipeline/exchange.h"
#include "pipeline/requirement.h"
#include "pipeline/services.h"
#include "pipeline/stage.h"

namespace latchkey::pipeline {

// A handler is a function of the exchange.
using Handler = std::function<http::Response(Exchange&)>;
// An asynchronous handler (gateway) answers through `responder` (once, from
// any thread); the responder runs the stages' way out before sending. It
// owns `request` (the body may be moved out).
using AsyncHandler = std::function<void(Exchange& exchange, http::Request& request,
                                        std::shared_ptr<http::Responder> responder)>;

class Pipeline {
 public:
  explicit Pipeline(Services services);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const Services& services() const { return services_; }

  // The router handler that runs `requirement`'s stages, then `handler`.
  // `self` must be this pipeline (kept alive by the returned handler).
  static http::Handler wrap(std::shared_ptr<const Pipeline> self, Requirement requirement,
                            Handler handler);
  static http::AsyncHandler wrap_async(std::shared_ptr<const Pipeline> self,
                                       Requirement requirement, AsyncHandler handler);

  // The stages `requirement` runs, in order (tests and documentation).
  std::vector<const Stage*> chain_for(const Requirement& requirement) const;

 private:
  Services services_;
  std::unique_ptr<Stage> audit_;
  std::unique_ptr<Stage> throttle_;
  std::unique_ptr<Stage> authenticate_;
  std::unique_ptr<Stage> key_limits_;
  std::unique_ptr<Stage> decide_;
  std::unique_ptr<Stage> usage_;  // null: usage per key not counted
};

// Runs `chain` and `handler` for one exchange (synchronously): exposed for
// tests of single stages.
http::Response run_chain(const std::vector<const Stage*>& chain, Exchange& exchange,
                         const Handler& handler);

}  // namespace latchkey::pipeline
