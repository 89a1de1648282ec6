#include "api/request_auth.h"

#include "core/redaction.h"

namespace latchkey::api {

Result<std::shared_ptr<const Principal>> verified_caller(const pipeline::Exchange& ex) {
  if (ex.principal == nullptr) {
    return fail(Error::internal("this route does not authenticate its caller"));
  }
  return ex.principal;
}

RequestOrigin origin_of(const http::Request& request) {
  // The User-Agent is shown to the holder of a token this one supersedes:
  // stored cut short, without control characters or secret-shaped runs.
  return {request.remote_ip, sanitize_for_display(request.header("User-Agent").value_or(""))};
}

}  // namespace latchkey::api
