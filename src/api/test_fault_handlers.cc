#include "api/test_fault_handlers.h"

#include "api/json_io.h"
#include "store/faulty_store.h"

namespace latchkey::api {
namespace {

Json stats_json(const FaultInjector& faults) {
  const FaultInjector::Stats stats = faults.stats();
  return Json{{"writes", stats.writes}, {"failed", stats.failed}};
}

}  // namespace

http::Response arm_test_faults(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto body = parse_object_body(request);
    if (!body) return fail(body.error());
    auto nth = optional_int(*body, "fail_write");
    if (!nth) return fail(nth.error());
    if (!*nth || **nth < 0) {
      return fail(Error::invalid_request("field \"fail_write\" must be an integer >= 0"));
    }
    auto mode = optional_string(*body, "mode");
    if (!mode) return fail(mode.error());
    auto point = optional_string(*body, "point");
    if (!point) return fail(point.error());
    FaultInjector::Plan plan;
    plan.nth = static_cast<std::uint64_t>(**nth);
    const std::string mode_name = mode->value_or("once");
    if (mode_name != "once" && mode_name != "forever") {
      return fail(Error::invalid_request("field \"mode\" must be \"once\" or \"forever\""));
    }
    plan.forever = mode_name == "forever";
    const std::string point_name = point->value_or("before_write");
    if (point_name == "after_commit") {
      plan.point = FaultInjector::Point::kAfterCommit;
    } else if (point_name != "before_write") {
      return fail(
          Error::invalid_request("field \"point\" must be \"before_write\" or \"after_commit\""));
    }
    ctx.test_faults->arm(plan);
    return json_response(200, stats_json(*ctx.test_faults));
  }());
}

http::Response test_fault_stats(const ApiContext& ctx, pipeline::Exchange&) {
  return json_response(200, stats_json(*ctx.test_faults));
}

}  // namespace latchkey::api
