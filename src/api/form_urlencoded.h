// application/x-www-form-urlencoded bodies (the OAuth endpoints, RFC 6749
// Appendix B, WHATWG URL "application/x-www-form-urlencoded parsing"):
// name=value pairs separated by '&', '+' decodes to a space, %XX to the byte
// XX. Pure parsing; every malformed input is a handled error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace latchkey::api {

// The decoded fields, in order. A field may appear more than once: see
// repeated(). Empty segments ("a=1&&b=2") are skipped; a name without '='
// has an empty value.
class FormFields {
 public:
  std::vector<std::pair<std::string, std::string>> fields;

  // The first value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  // RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if
  // they were omitted": the value of `name`, nullopt when absent or empty.
  std::optional<std::string> value(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // The first name that occurs more than once, or nullopt.
  std::optional<std::string> repeated() const;
};

// kInvalidRequest for a bad %-escape or a body over `max_bytes`.
Result<FormFields> parse_form_urlencoded(std::string_view body, std::size_t max_bytes = 64 * 1024);

// True for "application/x-www-form-urlencoded" with optional parameters
// (e.g. "; charset=UTF-8"), compared case-insensitively.
bool is_form_urlencoded(std::optional<std::string_view> content_type);

}  // namespace latchkey::api
