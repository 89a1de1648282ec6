// GET /openapi.json: the OpenAPI 3.1 description of every endpoint
// (docs/openapi.json, embedded into the binary at build time by
// cmake/EmbedTextFile.cmake; tests/unit/api/openapi_test.cc keeps it in step
// with the router).
//
// Thread-safety: both functions only read constant data.
#pragma once

#include <string_view>

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

// The text of docs/openapi.json as it was when latchkeyd was built.
std::string_view openapi_document();

// 200 application/json with the document; public, served inline.
http::Response openapi(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
