// Reading the audit API's query strings into an AuditQuery: percent-decoded
// parameters, RFC 3339 times, the opaque page cursor. Pure; thread-safe.
// Every malformed value is a kInvalidRequest naming the parameter.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "store/audit_store.h"

namespace latchkey::audit {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}} ('+' is a space). kInvalidRequest
// on a bad %-escape, a parameter outside `allowed`, or one given twice.
Result<QueryParams> parse_query_string(std::string_view query,
                                       std::initializer_list<std::string_view> allowed);

// The value of `name`, if given.
std::optional<std::string_view> param(const QueryParams& params, std::string_view name);

// "2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5+02:00", ... (RFC 3339
// date-time, 'T' or 't', 'Z' or an offset). nullopt when malformed.
std::optional<Instant> parse_rfc3339(std::string_view text);

// The opaque cursor of a page ("<millis>.<id>").
std::string encode_cursor(const AuditCursor& cursor);
std::optional<AuditCursor> decode_cursor(std::string_view text);

inline constexpr int kDefaultAuditPageSize = 100;
inline constexpr int kMaxAuditListPageSize = 1'000;

inline constexpr std::size_t kMaxActionFilterLength = 100;
inline constexpr std::size_t kMaxKeyFilterLength = 200;

// The filters of GET /api/v1/audit and /api/v1/audit/export: principal,
// from, to (RFC 3339), decision (allow|deny), action (a name of letters,
// digits, '.', '_', '-'; a trailing '*' makes it a prefix), key (any part
// of the masked credential, or a key id), limit (1..max_limit, default
// `default_limit`), cursor. from must be before to.
Result<AuditQuery> parse_audit_filters(const QueryParams& params, int default_limit, int max_limit);

}  // namespace latchkey::audit
