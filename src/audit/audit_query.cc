#include "audit/audit_query.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/encoding.h"
#include "core/redaction.h"

namespace latchkey::audit {
namespace {

// Exactly `width` digits at text[pos...]; advances pos.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view one_of) {
  if (pos >= text.size() || one_of.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Result<QueryParams> parse_query_string(std::string_view query,
                                       std::initializer_list<std::string_view> allowed) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = form_url_decode(pair.substr(0, eq));
    auto value =
        form_url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) {
      return fail(Error::invalid_request("malformed %-escape in the query string"));
    }
    if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      std::string known;
      for (std::string_view a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return fail(Error::invalid_request("unknown query parameter" + quoted_name(*name) +
                                         "; known: " + known));
    }
    if (param(params, *name)) {
      return fail(Error::invalid_request("query parameter" + quoted_name(*name) + " given twice"));
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string_view> param(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<Instant> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, "-")) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, "-")) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day || !expect(text, pos, "Tt")) return std::nullopt;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ":")) return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ":")) return std::nullopt;
  const auto second = digits(text, pos, 2);
  if (!second) return std::nullopt;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 3) millis = millis * 10 + (text[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0) return std::nullopt;
    for (std::size_t i = count; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ":")) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const auto days = std::chrono::sys_days(date);
  return Instant(std::chrono::duration_cast<Duration>(days.time_since_epoch())) +
         std::chrono::hours(*hour) + std::chrono::minutes(*minute - offset_minutes) +
         std::chrono::seconds(*second) + Duration(millis);
}

std::string encode_cursor(const AuditCursor& cursor) {
  return std::to_string(to_unix_millis(cursor.at)) + "." + std::to_string(cursor.id);
}

std::optional<AuditCursor> decode_cursor(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto at = parse_int(text.substr(0, dot));
  const auto id = parse_int(text.substr(dot + 1));
  if (!at || !id || *id < 0) return std::nullopt;
  return AuditCursor{from_unix_millis(*at), *id};
}

Result<AuditQuery> parse_audit_filters(const QueryParams& params, int default_limit,
                                       int max_limit) {
  AuditQuery query;
  query.limit = default_limit;
  if (auto principal = param(params, "principal")) {
    if (principal->empty()) return fail(Error::invalid_request("principal must not be empty"));
    query.principal_id = std::string(*principal);
  }
  for (const char* name : {"from", "to"}) {
    auto text = param(params, name);
    if (!text) continue;
    auto at = parse_rfc3339(*text);
    if (!at) {
      return fail(Error::invalid_request(std::string(name) + " must be an RFC 3339 time such as "
                                                             "2026-01-31T09:00:00Z"));
    }
    (std::string_view(name) == "from" ? query.from : query.to) = *at;
  }
  if (query.from && query.to && *query.from >= *query.to) {
    return fail(Error::invalid_request("from must be before to"));
  }
  if (auto decision = param(params, "decision")) {
    query.decision = parse_audit_decision(*decision);
    if (!query.decision) return fail(Error::invalid_request("decision must be allow or deny"));
  }
  if (auto action = param(params, "action")) {
    std::string_view name = *action;
    query.action_prefix = name.ends_with('*');
    if (query.action_prefix) name.remove_suffix(1);
    const bool valid = !name.empty() && name.size() <= kMaxActionFilterLength &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                       });
    if (!valid) {
      return fail(Error::invalid_request(
          "action must be an action name such as api_key.create, or its beginning followed by * "
          "such as api_key.*"));
    }
    query.action = std::string(name);
  }
  if (auto key = param(params, "key")) {
    const bool valid = !key->empty() && key->size() <= kMaxKeyFilterLength &&
                       std::none_of(key->begin(), key->end(), [](char c) {
                         return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
                       });
    if (!valid) {
      return fail(Error::invalid_request("key must be 1 to " + std::to_string(kMaxKeyFilterLength) +
                                         " characters without control characters"));
    }
    query.key = std::string(*key);
  }
  if (auto limit = param(params, "limit")) {
    const auto n = parse_int(*limit);
    if (!n || *n < 1 || *n > max_limit) {
      return fail(Error::invalid_request("limit must be an integer between 1 and " +
                                         std::to_string(max_limit)));
    }
    query.limit = static_cast<int>(*n);
  }
  if (auto cursor = param(params, "cursor")) {
    query.after = decode_cursor(*cursor);
    if (!query.after) {
      return fail(
          Error::invalid_request("cursor is not one this server returned; pass next_cursor as is"));
    }
  }
  return query;
}

}  // namespace latchkey::audit
