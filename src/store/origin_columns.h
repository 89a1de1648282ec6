// How both backends keep allowed-origin lists (docs/origin-restrictions.md):
// one row per owner in user_allowed_origins or key_allowed_origins, the
// normalized CIDR blocks joined by commas in one column (a normalized block
// never holds a comma).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

// Which list: a user's or an API key's.
enum class OriginOwner { kUser, kKey };

std::string origin_table(OriginOwner owner);         // user_allowed_origins | key_allowed_origins
std::string origin_owner_column(OriginOwner owner);  // user_id | key_id

std::string join_origins(const std::vector<std::string>& cidrs);
std::vector<std::string> split_origins(std::string_view joined);

}  // namespace latchkey
