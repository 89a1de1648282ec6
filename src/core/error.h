// Errors are values on the request path: domain and store functions return
// Result<T> (std::expected<T, Error>). An Error carries a code that the HTTP
// layer maps to a status and a JSON body in exactly one place
// (http/error_response.cc), a human description, and an optional
// machine-readable reason ("expired", "superseded", ...) with details.
// Descriptions and details must never contain a secret.
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace latchkey {

enum class ErrorCode {
  kInvalidRequest,        // 400 malformed input
  kMissingCredentials,    // 401 no Authorization header
  kInvalidClient,         // 401 client (Basic) authentication failed
  kInvalidToken,          // 401 bearer token not accepted; reason says why
  kForbidden,             // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kHeadersTooLarge,       // 431
  kTooManyRequests,       // 429
  kInternal,              // 500 a bug or a broken store, never the client's fault
  kUnavailable,           // 503 store busy/unavailable or shutting down
  kBadGateway,            // 502 gateway: the upstream is unreachable or answered badly
  kGatewayTimeout,        // 504 gateway: the upstream did not answer in time
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string description;
  std::string reason;                                        // machine-readable, optional
  std::vector<std::pair<std::string, std::string>> details;  // extra JSON string fields

  Error& with_reason(std::string r) {
    reason = std::move(r);
    return *this;
  }
  Error& with_detail(std::string key, std::string value) {
    details.emplace_back(std::move(key), std::move(value));
    return *this;
  }

  static Error invalid_request(std::string d) { return {ErrorCode::kInvalidRequest, std::move(d)}; }
  static Error invalid_client(std::string d) { return {ErrorCode::kInvalidClient, std::move(d)}; }
  static Error invalid_token(std::string reason, std::string d) {
    return {ErrorCode::kInvalidToken, std::move(d), std::move(reason)};
  }
  static Error forbidden(std::string d) { return {ErrorCode::kForbidden, std::move(d)}; }
  static Error not_found(std::string d) { return {ErrorCode::kNotFound, std::move(d)}; }
  static Error conflict(std::string d) { return {ErrorCode::kConflict, std::move(d)}; }
  static Error internal(std::string d) { return {ErrorCode::kInternal, std::move(d)}; }
  static Error unavailable(std::string d) { return {ErrorCode::kUnavailable, std::move(d)}; }
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace latchkey
