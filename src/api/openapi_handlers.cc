#include "api/openapi_handlers.h"

#include <string>

namespace latchkey::api {

http::Response openapi(const ApiContext&, pipeline::Exchange&) {
  // The document only changes with the binary: clients and proxies may cache it.
  http::Response r = http::Response::json(200, std::string(openapi_document()));
  r.set_header("Cache-Control", "public, max-age=300");
  return r;
}

}  // namespace latchkey::api
