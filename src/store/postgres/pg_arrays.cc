#include "store/postgres/pg_arrays.h"

#include "store/postgres/pg_values.h"

namespace latchkey::pg {

namespace {

template <class Texts>
std::string quoted_array(const Texts& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::string array_literal(const std::vector<std::string_view>& items) {
  return quoted_array(items);
}

std::string array_literal(std::span<const std::string> items) { return quoted_array(items); }

std::string array_literal(std::span<const std::int64_t> items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(items[i]);
  }
  out += '}';
  return out;
}

Param array_param(const std::vector<std::string_view>& items) { return text(array_literal(items)); }

Param array_param(std::span<const std::string> items) { return text(array_literal(items)); }

Param array_param(std::span<const std::int64_t> items) { return text(array_literal(items)); }

}  // namespace latchkey::pg
