#include "store/usage_store.h"

namespace latchkey {

std::string_view to_string(UsageGranularity granularity) {
  return granularity == UsageGranularity::kDay ? "day" : "hour";
}

std::optional<UsageGranularity> parse_usage_granularity(std::string_view text) {
  if (text == "hour") return UsageGranularity::kHour;
  if (text == "day") return UsageGranularity::kDay;
  return std::nullopt;
}

}  // namespace latchkey
