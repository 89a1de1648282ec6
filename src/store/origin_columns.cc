#include "store/origin_columns.h"

namespace latchkey {

std::string origin_table(OriginOwner owner) {
  return owner == OriginOwner::kUser ? "user_allowed_origins" : "key_allowed_origins";
}

std::string origin_owner_column(OriginOwner owner) {
  return owner == OriginOwner::kUser ? "user_id" : "key_id";
}

std::string join_origins(const std::vector<std::string>& cidrs) {
  std::string joined;
  for (const std::string& cidr : cidrs) {
    if (!joined.empty()) joined += ',';
    joined += cidr;
  }
  return joined;
}

std::vector<std::string> split_origins(std::string_view joined) {
  std::vector<std::string> cidrs;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    cidrs.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return cidrs;
}

}  // namespace latchkey
