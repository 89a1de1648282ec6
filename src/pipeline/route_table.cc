#include "pipeline/route_table.h"

namespace latchkey::pipeline {

http::Router RouteTable::build_router(const std::shared_ptr<const Pipeline>& pipeline) const {
  http::Router router;
  for (const RouteEntry& e : entries_) {
    if (e.dispatch == http::Dispatch::kAsync) {
      router.add_async(e.method, e.pattern,
                       Pipeline::wrap_async(pipeline, e.requirement, e.async_handler));
    } else {
      router.add(e.method, e.pattern, e.dispatch,
                 Pipeline::wrap(pipeline, e.requirement, e.handler));
    }
  }
  return router;
}

}  // namespace latchkey::pipeline
