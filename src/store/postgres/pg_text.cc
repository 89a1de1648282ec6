#include "store/postgres/pg_text.h"

#include <string>

namespace latchkey::pg {
namespace {

// Bytes taken by the well-formed UTF-8 character at text[at] (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF), or 0 when there is
// none there.
std::size_t character_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0x100;
  };
  const auto continuation = [&](std::size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
    return byte(i) >= low && byte(i) <= high;
  };
  const unsigned first = byte(at);
  if (first == 0) return 0;  // NUL: libpq would end the value here
  if (first < 0x80) return 1;
  if (first >= 0xC2 && first <= 0xDF) return continuation(at + 1) ? 2 : 0;
  if (first >= 0xE0 && first <= 0xEF) {
    const unsigned low = first == 0xE0 ? 0xA0 : 0x80;
    const unsigned high = first == 0xED ? 0x9F : 0xBF;  // 0xED A0..BF: surrogates
    return continuation(at + 1, low, high) && continuation(at + 2) ? 3 : 0;
  }
  if (first >= 0xF0 && first <= 0xF4) {
    const unsigned low = first == 0xF0 ? 0x90 : 0x80;
    const unsigned high = first == 0xF4 ? 0x8F : 0xBF;
    return continuation(at + 1, low, high) && continuation(at + 2) && continuation(at + 3) ? 4 : 0;
  }
  return 0;  // a continuation byte out of place, C0, C1, F5..FF
}

}  // namespace

bool is_storable_text(std::string_view value) {
  for (std::size_t at = 0; at < value.size();) {
    const std::size_t length = character_length(value, at);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

std::string valid_utf8(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t at = 0; at < value.size();) {
    const std::size_t length = character_length(value, at);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++at;
    } else {
      out.append(value.substr(at, length));
      at += length;
    }
  }
  return out;
}

Status check_storable_text(std::string_view what, std::initializer_list<std::string_view> values) {
  for (std::string_view value : values) {
    if (!is_storable_text(value)) {
      return fail(Error::invalid_request(std::string(what) +
                                         " must be valid UTF-8 without NUL characters"));
    }
  }
  return {};
}

}  // namespace latchkey::pg
