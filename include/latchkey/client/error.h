// Errors returned by the latchkey client library. Every fallible call returns
// Result<T> (std::expected<T, ClientError>); nothing throws across the API.
//
// A ClientError says where things went wrong (kind), and, when the server
// answered, carries its status and the documented error body fields
// (docs/api.md: error, error_description, reason, extra details).
// Descriptions never contain a client secret or an access token: the library
// scrubs every value it knows to be secret and masks anything that looks like
// a latchkey secret (lk_sec_, lk_at_, lk_key_) before building an error.
//
// Plain value type; thread-compatible.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace latchkey::client {

enum class ErrorKind {
  kTransport,                  // the server could not be reached: DNS, connect, TLS, timeout
  kHttp,                       // the server answered with a 4xx or 5xx status
  kRateLimited,                // 429, still refused after the RetryPolicy's waits (retry_after)
  kTokenRejectedAfterRefresh,  // 401 again after regenerating the token once
                               // (seed 000: "retry once, then fail loud")
  kBadResponse,                // the server answered something that is not the documented shape
  kCache,                      // the token cache could not be written or cleared
  kUsage,                      // the caller asked for something impossible (e.g. no credentials)
};

struct ClientError {
  ErrorKind kind = ErrorKind::kTransport;
  int status = 0;           // HTTP status when the server answered, else 0
  std::string error;        // the server's `error` code, e.g. "invalid_token"
  std::string description;  // human readable; never contains a secret
  std::string reason;       // the server's machine-readable `reason`, if any
  std::vector<std::pair<std::string, std::string>> details;  // other body fields
  std::string request_id;  // X-Request-Id of the failed response, if any
  // The server's Retry-After (429, 503), in seconds from when it answered;
  // an HTTP-date is converted. nullopt when it sent none.
  std::optional<std::chrono::seconds> retry_after;

  // True when the server answered and refused (kHttp, kRateLimited or
  // kTokenRejectedAfterRefresh), as opposed to not being reachable.
  bool refused_by_server() const {
    return kind == ErrorKind::kHttp || kind == ErrorKind::kRateLimited ||
           kind == ErrorKind::kTokenRejectedAfterRefresh;
  }

  // One line for humans: "invalid_token: <description> (reason: superseded,
  // superseded_by_client_id: cli_..., request id: ...)".
  std::string message() const;
};

// The kind's name, e.g. "rate_limited", for logs and examples.
const char* kind_name(ErrorKind kind);

template <class T>
using Result = std::expected<T, ClientError>;
using Status = std::expected<void, ClientError>;

}  // namespace latchkey::client
