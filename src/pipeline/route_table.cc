#include "pipeline/route_table.h"

namespace latchkey::pipeline {

http::Router RouteTable::build_router(const std::shared_ptr<const Pipeline>& pipeline) const {
  http::Router router;
  for (const RouteEntry& e : entries_) {
    Requirement requirement = e.requirement;
    if (requirement.route_label.empty()) requirement.route_label = e.method + " " + e.pattern;
    if (e.dispatch == http::Dispatch::kAsync) {
      router.add_async(e.method, e.pattern,
                       Pipeline::wrap_async(pipeline, std::move(requirement), e.async_handler));
    } else {
      router.add(e.method, e.pattern, e.dispatch,
                 Pipeline::wrap(pipeline, std::move(requirement), e.handler));
    }
  }
  return router;
}

}  // namespace latchkey::pipeline
