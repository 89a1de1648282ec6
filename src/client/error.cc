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
  for (const auto& [key, value] : details) add(key, value);
  add("request id", request_id);
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

}  // namespace latchkey::client
