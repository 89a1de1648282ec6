#include "http/error_response.h"

#include <nlohmann/json.hpp>

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
  nlohmann::json body = {{"error", error_name(error.code)},
                         {"error_description", error.description}};
  if (!error.reason.empty()) body["reason"] = error.reason;
  for (const auto& [k, v] : error.details) body[k] = v;

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
                       quote_safe(error.reason.empty() ? error.description : error.reason) + "\"");
      break;
    default:
      break;
  }
  return r;
}

}  // namespace latchkey::http
