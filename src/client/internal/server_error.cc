#include "client/internal/server_error.h"

#include <nlohmann/json.hpp>

#include "client/internal/redact.h"
#include "client/internal/retry_after.h"
#include "latchkey/client/retry.h"

namespace latchkey::client::internal {
namespace {

constexpr std::size_t kMaxQuotedBody = 200;

// Printable ASCII only, at most kMaxQuotedBody characters: a body that is
// not JSON may be an HTML error page from a proxy.
std::string printable_excerpt(const std::string& body) {
  std::string out;
  for (char c : body) {
    if (out.size() >= kMaxQuotedBody) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return out;
}

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

ClientError error_from_response(const HttpResponse& response) {
  return error_from_response(response, system_unix_seconds());
}

ClientError error_from_response(const HttpResponse& response, std::int64_t now_unix) {
  ClientError error;
  error.kind = response.status == 429 ? ErrorKind::kRateLimited : ErrorKind::kHttp;
  error.status = response.status;
  if (const auto value = response.header("Retry-After")) {
    error.retry_after = parse_retry_after(*value, now_unix);
  }
  error.request_id = response.header("X-Request-Id").value_or("");
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    for (const auto& [key, value] : body.items()) {
      if (key == "error" && value.is_string()) {
        error.error = value.get<std::string>();
      } else if (key == "error_description" && value.is_string()) {
        error.description = value.get<std::string>();
      } else if (key == "reason" && value.is_string()) {
        error.reason = value.get<std::string>();
      } else if (!value.is_null()) {
        error.details.emplace_back(key, as_text(value));
      }
    }
  }
  if (error.description.empty()) {
    error.description = "the server answered HTTP " + std::to_string(response.status);
    const std::string excerpt = printable_excerpt(response.body);
    if (!body.is_object() && !excerpt.empty()) error.description += ": " + excerpt;
  }
  scrub(error, {});
  return error;
}

ClientError bad_response(const HttpResponse& response, std::string what) {
  ClientError error;
  error.kind = ErrorKind::kBadResponse;
  error.status = response.status;
  error.request_id = response.header("X-Request-Id").value_or("");
  error.description = std::move(what);
  scrub(error, {});
  return error;
}

}  // namespace latchkey::client::internal
