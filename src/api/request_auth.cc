#include "api/request_auth.h"

namespace latchkey::api {

Result<std::shared_ptr<const Principal>> verified_caller(const pipeline::Exchange& ex) {
  if (ex.principal == nullptr) {
    return fail(Error::internal("this route does not authenticate its caller"));
  }
  return ex.principal;
}

RequestOrigin origin_of(const http::Request& request) {
  return {request.remote_ip, std::string(request.header("User-Agent").value_or(""))};
}

}  // namespace latchkey::api
