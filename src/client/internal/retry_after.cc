#include "client/internal/retry_after.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

namespace latchkey::client::internal {
namespace {

// At most one day: a larger value is taken as one day (the RetryPolicy's
// max_total_wait gives up long before).
constexpr std::int64_t kMaxSeconds = 86'400;

std::optional<int> number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_http_date(std::string_view v) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  if (v.size() != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v.substr(25) != " GMT") {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  while (month < kMonths.size() && kMonths[month] != v.substr(8, 3)) ++month;
  const auto day = number(v.substr(5, 2));
  const auto year = number(v.substr(12, 4));
  const auto hour = number(v.substr(17, 2));
  const auto minute = number(v.substr(20, 2));
  const auto second = number(v.substr(23, 2));
  if (month == kMonths.size() || !day || !year || !hour || !minute || !second || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{month + 1},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return std::int64_t{days} * 86'400 + *hour * 3600 + *minute * 60 + *second;
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_unix) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::chrono::seconds(kMaxSeconds);
    const auto seconds = number(value);
    if (!seconds) return std::nullopt;
    return std::chrono::seconds(std::min<std::int64_t>(*seconds, kMaxSeconds));
  }
  const auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  return std::chrono::seconds(std::clamp<std::int64_t>(*at - now_unix, 0, kMaxSeconds));
}

}  // namespace latchkey::client::internal
