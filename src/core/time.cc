#include "core/time.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace latchkey {

std::int64_t seconds_until(Instant from, Instant to) {
  if (to <= from) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

std::string format_rfc3339(Instant t) {
  // By hand rather than gmtime_r + snprintf: every access-log line and many
  // responses format a time, and this is several times cheaper.
  const std::int64_t ms = to_unix_millis(t);
  std::int64_t secs = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::int64_t days = secs / 86'400;
  std::int64_t in_day = secs % 86'400;
  if (in_day < 0) {
    in_day += 86'400;
    days -= 1;
  }
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  const int year = static_cast<int>(date.year());
  const unsigned month = static_cast<unsigned>(date.month());
  const unsigned day = static_cast<unsigned>(date.day());
  if (year < 0 || year > 9999) {  // beyond four digits: the slow, general way
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char wide[64];
    std::snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d.%03" PRId64 "Z",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  frac);
    return wide;
  }
  char buf[] = "0000-00-00T00:00:00.000Z";  // 24 characters and the NUL
  auto put = [&buf](int at, int width, std::int64_t value) {
    for (int i = at + width - 1; i >= at; --i, value /= 10)
      buf[i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  put(5, 2, month);
  put(8, 2, day);
  put(11, 2, in_day / 3600);
  put(14, 2, in_day / 60 % 60);
  put(17, 2, in_day % 60);
  put(20, 3, frac);
  return std::string(buf, 24);
}

}  // namespace latchkey
