// The one place where an Error becomes an HTTP response:
//   status from the code, body {"error", "error_description", "reason"?, ...details},
//   and WWW-Authenticate for 401s (Basic for invalid_client, RFC 6750 Bearer
//   with error="invalid_token" and error_description for invalid_token).
#pragma once

#include "core/error.h"
#include "http/message.h"

namespace latchkey::http {

int status_of(ErrorCode code);
// The OAuth-style error string for the body: "invalid_request", "invalid_client", ...
std::string_view error_name(ErrorCode code);

Response error_response(const Error& error);

}  // namespace latchkey::http
