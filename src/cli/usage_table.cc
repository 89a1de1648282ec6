#include "cli/usage_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace latchkey::cli {
namespace {

using Json = nlohmann::json;
constexpr std::array<const char*, 4> kClasses = {"2xx", "3xx", "4xx", "5xx"};

struct Line {
  std::string start;
  std::string route;
  std::array<std::int64_t, 4> counts{};
  std::int64_t total() const {
    std::int64_t n = 0;
    for (auto c : counts) n += c;
    return n;
  }
};

std::size_t class_index(const std::string& cls) {
  for (std::size_t i = 0; i < kClasses.size(); ++i) {
    if (cls == kClasses[i]) return i;
  }
  return kClasses.size() - 1;
}

// "2026-11-23T10:00:00.000Z" -> "2026-11-23 10:00" (buckets start on the hour).
std::string short_time(const std::string& rfc3339) {
  if (rfc3339.size() < 16) return rfc3339;
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5);
}

}  // namespace

std::optional<std::string> usage_table(std::string_view body) {
  const Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("buckets") || !answer["buckets"].is_array()) {
    return std::nullopt;
  }
  std::vector<Line> lines;
  try {
    for (const Json& bucket : answer["buckets"]) {
      std::map<std::string, Line> by_route;
      for (const Json& c : bucket.at("counts")) {
        Line& line = by_route[c.at("route").get<std::string>()];
        line.counts[class_index(c.at("status_class").get<std::string>())] +=
            c.at("count").get<std::int64_t>();
      }
      for (auto& [route, line] : by_route) {
        line.start = short_time(bucket.at("start").get<std::string>());
        line.route = route;
        lines.push_back(std::move(line));
      }
    }
  } catch (const Json::exception&) {
    return std::nullopt;
  }
  std::size_t route_width = 5;
  for (const Line& l : lines) route_width = std::max(route_width, l.route.size());
  std::string out = fmt::format("key {}, {} buckets from {} to {} (UTC)\n\n",
                                answer.value("key_id", "?"), answer.value("granularity", "?"),
                                answer.value("from", "?"), answer.value("to", "?"));
  out += fmt::format("{:<16}  {:<{}}  {:>7} {:>7} {:>7} {:>7} {:>8}\n", "START", "ROUTE",
                     route_width, "2xx", "3xx", "4xx", "5xx", "TOTAL");
  std::array<std::int64_t, 4> sums{};
  for (const Line& l : lines) {
    out += fmt::format("{:<16}  {:<{}}  {:>7} {:>7} {:>7} {:>7} {:>8}\n", l.start, l.route,
                       route_width, l.counts[0], l.counts[1], l.counts[2], l.counts[3], l.total());
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += l.counts[i];
  }
  if (lines.empty()) out += "(no requests in this range)\n";
  out += fmt::format("{:<16}  {:<{}}  {:>7} {:>7} {:>7} {:>7} {:>8}\n", "", "TOTAL", route_width,
                     sums[0], sums[1], sums[2], sums[3], sums[0] + sums[1] + sums[2] + sums[3]);
  return out;
}

}  // namespace latchkey::cli
