#include "latchkey/client/error.h"

namespace latchkey::client {

std::string ClientError::message() const {
  std::string out;
  if (!error.empty()) out = error + ": ";
  out += description.empty() ? std::string("unknown error") : description;
  std::string extra;
  const auto add = [&extra](const std::string& key, const std::string& value) {
    if (value.empty()) return;
    if (!extra.empty()) extra += "; ";
    extra += key + ": " + value;
  };
  if (status != 0) add("HTTP", std::to_string(status));
  add("reason", reason);
  if (retry_after) add("retry after", std::to_string(retry_after->count()) + " s");
  for (const auto& [key, value] : details) add(key, value);
  add("request id", request_id);
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTransport:
      return "transport";
    case ErrorKind::kHttp:
      return "http";
    case ErrorKind::kRateLimited:
      return "rate_limited";
    case ErrorKind::kTokenRejectedAfterRefresh:
      return "token_rejected_after_refresh";
    case ErrorKind::kBadResponse:
      return "bad_response";
    case ErrorKind::kCache:
      return "cache";
    case ErrorKind::kUsage:
      return "usage";
  }
  return "unknown";
}

}  // namespace latchkey::client
