#include "store/postgres/pg_values.h"

#include <algorithm>
#include <charconv>

namespace latchkey::pg {

Param text(std::string_view value) { return Param{std::string(value), false}; }
Param integer(std::int64_t value) { return Param{std::to_string(value), false}; }
Param boolean(bool value) { return Param{value ? "t" : "f", false}; }
Param instant(Instant value) { return integer(to_unix_millis(value)); }
Param optional_instant(const std::optional<Instant>& value) {
  return value ? instant(*value) : null();
}
Param bytes(std::string_view value) { return Param{std::string(value), true}; }
Param digest(const Digest& value) {
  return bytes(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}
Param optional_digest(const std::optional<Digest>& value) {
  return value ? digest(*value) : null();
}
Param null() { return Param{}; }

std::string text_at(const Rows& rows, int row, int column) {
  return std::string(rows.text(row, column));
}

std::int64_t int_at(const Rows& rows, int row, int column) {
  const std::string_view value = rows.text(row, column);
  std::int64_t number = 0;
  std::from_chars(value.data(), value.data() + value.size(), number);
  return number;
}

bool bool_at(const Rows& rows, int row, int column) {
  const std::string_view value = rows.text(row, column);
  return value == "t" || value == "true" || value == "1";
}

Instant instant_at(const Rows& rows, int row, int column) {
  return from_unix_millis(int_at(rows, row, column));
}

std::optional<Instant> optional_instant_at(const Rows& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return instant_at(rows, row, column);
}

std::optional<std::int64_t> optional_int_at(const Rows& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return int_at(rows, row, column);
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}
}  // namespace

std::string bytes_at(const Rows& rows, int row, int column) {
  // bytea_output = hex (the default since 9.0): "\x" then two digits a byte.
  const std::string_view value = rows.text(row, column);
  std::string out;
  if (value.size() < 2 || value[0] != '\\' || value[1] != 'x') return out;
  out.reserve((value.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < value.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(value[i]) * 16 + hex_value(value[i + 1])));
  }
  return out;
}

Digest digest_at(const Rows& rows, int row, int column) {
  Digest digest{};
  const std::string raw = bytes_at(rows, row, column);
  std::copy_n(raw.begin(), std::min(raw.size(), digest.size()), digest.begin());
  return digest;
}

std::optional<Digest> optional_digest_at(const Rows& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return digest_at(rows, row, column);
}

}  // namespace latchkey::pg
