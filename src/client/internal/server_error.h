// Turns a refused HTTP response into a ClientError by reading the documented
// error body ({"error", "error_description", "reason", ...details}, see
// docs/api.md). Bodies that are not JSON still give a useful message. The
// result is already masked of anything shaped like a secret. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "latchkey/client/error.h"
#include "latchkey/client/transport.h"

namespace latchkey::client::internal {

// A 429 is ErrorKind::kRateLimited, any other status kHttp. Retry-After is
// read into retry_after (an HTTP-date relative to `now_unix`).
ClientError error_from_response(const HttpResponse& response, std::int64_t now_unix);
ClientError error_from_response(const HttpResponse& response);  // now: the system clock

// ErrorKind::kBadResponse for a response that does not have the documented
// shape; `what` says what was wrong (never quoting a secret).
ClientError bad_response(const HttpResponse& response, std::string what);

}  // namespace latchkey::client::internal
