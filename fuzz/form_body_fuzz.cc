// application/x-www-form-urlencoded bodies of the OAuth endpoints
// (src/api/form_urlencoded.cc): the input is the request body, and also a
// Content-Type value for is_form_urlencoded.
//
// Properties: no more fields than '&'-separated segments; encoding the
// parsed fields again (every byte but unreserved ones %-escaped) parses to
// the same fields; get/value/repeated agree with a plain scan of the fields;
// a refusal is kInvalidRequest; an oversized body is refused.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/form_urlencoded.h"
#include "fuzz_check.h"

namespace {

std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = latchkey::fuzz::as_text(data, size);
  (void)latchkey::api::is_form_urlencoded(body);

  const auto form = latchkey::api::parse_form_urlencoded(body);
  if (!form) {
    FUZZ_CHECK(form.error().code == latchkey::ErrorCode::kInvalidRequest);
    return 0;
  }
  std::size_t segments = 1;
  for (char c : body) segments += c == '&' ? 1 : 0;
  FUZZ_CHECK(form->fields.size() <= segments);

  std::string again;
  std::set<std::string> seen;
  std::optional<std::string> first_repeated;
  for (const auto& [name, value] : form->fields) {
    if (!again.empty()) again += '&';
    again += encode(name) + '=' + encode(value);
    if (!seen.insert(name).second && !first_repeated) first_repeated = name;
    const auto got = form->get(name);
    FUZZ_CHECK(got.has_value());
    FUZZ_CHECK(form->value(name) == (got->empty() ? std::nullopt : got));
  }
  FUZZ_CHECK(form->repeated() == first_repeated);

  const auto reparsed = latchkey::api::parse_form_urlencoded(again, again.size());
  FUZZ_CHECK(reparsed.has_value());
  FUZZ_CHECK(reparsed->fields == form->fields);

  if (!body.empty()) FUZZ_CHECK(!latchkey::api::parse_form_urlencoded(body, body.size() - 1));
  return 0;
}
