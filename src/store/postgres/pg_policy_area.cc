#include "store/postgres/pg_policy_area.h"

namespace latchkey::pg {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 6.0
// table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead >= 0x01 && lead <= 0x7F) return 1;
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (lead == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (lead == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (lead == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (lead == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;  // NUL, a stray continuation byte, C0/C1, F5..FF
}

void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string text_array(std::span<const std::string> values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_quoted(out, values[i]);
  }
  out += '}';
  return out;
}

std::string int_array(std::span<const std::int64_t> values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string valid_utf8(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t length = utf8_sequence_length(value, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(value.substr(i, length));
      i += length;
    }
  }
  return out;
}

bool storable(std::string_view value) {
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t length = utf8_sequence_length(value, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

Status check_text(std::initializer_list<std::string_view> values) {
  for (std::string_view value : values) {
    if (!storable(value)) {
      return fail(Error::invalid_request("text must be valid UTF-8 without NUL bytes"));
    }
  }
  return {};
}

Error not_found_if_missing_reference(const Connection& connection, Error error,
                                     std::string_view description) {
  if (connection.sqlstate() == kForeignKeyViolation) {
    return Error::not_found(std::string(description));
  }
  return error;
}

Status snapshot(Connection& connection) {
  return connection.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

}  // namespace latchkey::pg
