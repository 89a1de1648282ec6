#include "http/error_response.h"

#include <nlohmann/json.hpp>

#include "core/redaction.h"

namespace latchkey::http {
namespace {

// RFC 6750 §3: quoted-string values must not carry '"' or '\'.
std::string quote_safe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return 400;
    case ErrorCode::kMissingCredentials:
      return 401;
    case ErrorCode::kInvalidClient:
      return 401;
    case ErrorCode::kInvalidToken:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kHeadersTooLarge:
      return 431;
    case ErrorCode::kTooManyRequests:
      return 429;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kBadGateway:
      return 502;
    case ErrorCode::kGatewayTimeout:
      return 504;
  }
  return 500;
}

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return "invalid_request";
    case ErrorCode::kMissingCredentials:
      return "unauthorized";
    case ErrorCode::kInvalidClient:
      return "invalid_client";
    case ErrorCode::kInvalidToken:
      return "invalid_token";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kHeadersTooLarge:
      return "headers_too_large";
    case ErrorCode::kTooManyRequests:
      return "too_many_requests";
    case ErrorCode::kInternal:
      return "server_error";
    case ErrorCode::kUnavailable:
      return "temporarily_unavailable";
    case ErrorCode::kBadGateway:
      return "bad_gateway";
    case ErrorCode::kGatewayTimeout:
      return "gateway_timeout";
  }
  return "server_error";
}

Response error_response(const Error& error) {
  // Messages name fields, not values (core/redaction.h); a secret-shaped
  // run that still reached a description or a detail is not sent back.
  const std::string description = redact_secret_runs(error.description);
  nlohmann::json body = {{"error", error_name(error.code)}, {"error_description", description}};
  if (!error.reason.empty()) body["reason"] = redact_secret_runs(error.reason);
  for (const auto& [k, v] : error.details) body[k] = redact_secret_runs(v);

  Response r = Response::json(status_of(error.code),
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  switch (error.code) {
    case ErrorCode::kMissingCredentials:
      r.set_header("WWW-Authenticate", "Bearer realm=\"latchkey\"");
      break;
    case ErrorCode::kInvalidClient:
      r.set_header("WWW-Authenticate", "Basic realm=\"latchkey\", charset=\"UTF-8\"");
      break;
    case ErrorCode::kInvalidToken:
      r.set_header("WWW-Authenticate",
                   "Bearer realm=\"latchkey\", error=\"invalid_token\", error_description=\"" +
                       quote_safe(redact_secret_runs(error.reason.empty() ? error.description
                                                                          : error.reason)) +
                       "\"");
      break;
    default:
      break;
  }
  return r;
}

}  // namespace latchkey::http
