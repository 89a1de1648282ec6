#include "console/console_path.h"

#include "core/encoding.h"

namespace latchkey::console {
namespace {

// RFC 3986 pchar without pct-encoded, plus '/'.
bool is_plain(char c) {
  constexpr std::string_view kPunctuation = "-._~!$&'()*+,;=:@/";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kPunctuation.find(c) != std::string_view::npos;
}

// A %-escape that could make some reader see another path: a separator, a
// dot (%2e%2e), a second round of escaping (%25), or a control byte (%00).
bool is_dangerous_escape(int value) {
  return value == '/' || value == '\\' || value == '.' || value == '%' || value < 0x20 ||
         value == 0x7f;
}

// Well-formed per the header's rules: only pchars and harmless %-escapes,
// no dot segment, no empty segment but a trailing one.
bool well_formed(std::string_view rel) {
  for (std::size_t i = 0; i < rel.size(); ++i) {
    const char c = rel[i];
    if (c == '%') {
      if (i + 2 >= rel.size()) return false;
      const int hi = hex_digit_value(rel[i + 1]);
      const int lo = hex_digit_value(rel[i + 2]);
      if (hi < 0 || lo < 0 || is_dangerous_escape(hi * 16 + lo)) return false;
      i += 2;
    } else if (!is_plain(c)) {
      return false;
    }
  }
  std::size_t start = 0;
  while (start <= rel.size()) {
    const auto slash = rel.find('/', start);
    const auto end = slash == std::string_view::npos ? rel.size() : slash;
    const std::string_view segment = rel.substr(start, end - start);
    if (segment == "." || segment == "..") return false;
    if (segment.empty() && end != rel.size()) return false;  // "//" or a leading '/'
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

ResolvedPath resolve_console_path(const AssetTable& table, std::string_view path) {
  if (path == kConsolePrefix) return {PathKind::kRedirect};
  if (!path.starts_with(kConsolePrefix) || path.size() == kConsolePrefix.size() ||
      path[kConsolePrefix.size()] != '/') {
    return {PathKind::kNotFound};
  }
  const std::string_view rel = path.substr(kConsolePrefix.size() + 1);
  if (rel.size() > kMaxConsolePathBytes) return {PathKind::kNotFound};
  if (!well_formed(rel)) return {PathKind::kInvalid};
  if (rel.empty()) return {PathKind::kPage, table.index()};
  if (const Asset* asset = table.find(rel)) {
    return {PathKind::kFile, asset, rel.starts_with("assets/")};
  }
  if (rel.starts_with("assets/") || rel == "assets") return {PathKind::kNotFound};
  const auto last_slash = rel.rfind('/');
  const std::string_view last =
      last_slash == std::string_view::npos ? rel : rel.substr(last_slash + 1);
  if (last.find('.') != std::string_view::npos) return {PathKind::kNotFound};
  return {PathKind::kPage, table.index()};
}

}  // namespace latchkey::console
