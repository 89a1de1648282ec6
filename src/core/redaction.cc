#include "core/redaction.h"

#include <array>

namespace latchkey {
namespace {

// The latchkey secret prefixes (core/secret.h secret_prefix()).
constexpr std::array<std::string_view, 3> kSecretPrefixes = {"lk_sec_", "lk_key_", "lk_at_"};
// The shortest first segment of a JWT: {"alg":"none"} is 19 characters.
constexpr std::size_t kMinJwtHeaderChars = 16;
constexpr std::size_t kMinJwtPayloadChars = 2;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_base62(char c) { return is_digit(c) || is_upper(c) || is_lower(c); }
bool is_base64url(char c) { return is_base62(c) || c == '-' || c == '_'; }
bool is_base64(char c) { return is_base64url(c) || c == '+' || c == '/'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::size_t scan(std::string_view text, std::size_t pos, bool (*in_class)(char)) {
  while (pos < text.size() && in_class(text[pos])) ++pos;
  return pos;
}

// Rule 1: a latchkey prefix and the base62 characters after it.
std::size_t prefix_run_at(std::string_view text, std::size_t pos) {
  if (text[pos] != 'l') return 0;
  for (std::string_view prefix : kSecretPrefixes) {
    if (text.substr(pos, prefix.size()) == prefix) {
      return scan(text, pos + prefix.size(), is_base62) - pos;
    }
  }
  return 0;
}

// Rule 2: header.payload.signature or header.payload. (unsigned), checked
// only where a base64url run starts so that every character is looked at a
// bounded number of times.
std::size_t jwt_run_at(std::string_view text, std::size_t pos) {
  if (pos > 0 && is_base64url(text[pos - 1])) return 0;
  if (text.size() - pos < 2 || text[pos] != 'e' || (text[pos + 1] != 'y' && text[pos + 1] != 'w')) {
    return 0;
  }
  const std::size_t header_end = scan(text, pos, is_base64url);
  if (header_end - pos < kMinJwtHeaderChars || header_end >= text.size() ||
      text[header_end] != '.') {
    return 0;
  }
  const std::size_t payload_end = scan(text, header_end + 1, is_base64url);
  if (payload_end - header_end - 1 < kMinJwtPayloadChars || payload_end >= text.size() ||
      text[payload_end] != '.') {
    return 0;
  }
  return scan(text, payload_end + 1, is_base64url) - pos;
}

// Rules 3 and 4, over the maximal base64 run that starts at `pos`; then
// through any ".segment" that follows (the rest of a dotted token).
std::size_t high_entropy_run_at(std::string_view text, std::size_t pos) {
  if (!is_base64(text[pos]) || (pos > 0 && is_base64(text[pos - 1]))) return 0;
  std::size_t end = scan(text, pos, is_base64);
  const std::size_t chars = end - pos;
  if (chars < kMinSecretRunChars) return 0;
  bool upper = false, lower = false, digit = false;
  std::size_t hex_run = 0;
  bool hex_digit = false, hex_letter = false, hex_secret = false;
  for (std::size_t i = pos; i < end; ++i) {
    const char c = text[i];
    upper = upper || is_upper(c);
    lower = lower || is_lower(c);
    digit = digit || is_digit(c);
    if (is_hex(c)) {
      ++hex_run;
      hex_digit = hex_digit || is_digit(c);
      hex_letter = hex_letter || !is_digit(c);
    } else {
      hex_run = 0, hex_digit = false, hex_letter = false;
    }
    hex_secret = hex_secret || (hex_run >= kMinSecretRunChars && hex_digit && hex_letter);
    // A JWT after a '/' or '+' is redacted by its own rule, whole, with
    // the path before it left readable.
    if (i > pos && (text[i - 1] == '/' || text[i - 1] == '+') && jwt_run_at(text, i) > 0) {
      return 0;
    }
  }
  if (!(upper && lower && digit) && !hex_secret) return 0;
  for (int pad = 0; pad < 2 && end < text.size() && text[end] == '='; ++pad) ++end;
  while (end + 1 < text.size() && text[end] == '.' && is_base64url(text[end + 1])) {
    end = scan(text, end + 1, is_base64url);
  }
  return end - pos;
}

std::size_t secret_run_at(std::string_view text, std::size_t pos) {
  if (std::size_t n = prefix_run_at(text, pos)) return n;
  if (std::size_t n = jwt_run_at(text, pos)) return n;
  return high_entropy_run_at(text, pos);
}

// The code point of the UTF-8 sequence at text[pos] and its length; length
// 0 for an invalid (overlong, surrogate, truncated) sequence.
std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {0, 0};
  }
  if (text.size() - pos < length) return {0, 0};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, length};
}

// Characters that reorder or hide text when shown: C0, DEL, C1, the
// bidirectional marks and overrides, and the byte-order mark.
bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

}  // namespace

bool looks_like_secret(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (secret_run_at(text, i) > 0) return true;
  }
  return false;
}

std::string redact_secret_runs(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t run = secret_run_at(text, i); run > 0) {
      out += kRedacted;
      i += run;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string redact_secret_segments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of("/, ", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view segment = text.substr(start, end - start);
    if (looks_like_secret(segment)) {
      out += kRedacted;
    } else {
      out += segment;
    }
    if (end < text.size()) out.push_back(text[end]);
    start = end + 1;
  }
  return out;
}

std::string sanitize_for_display(std::string_view text, std::size_t max_bytes) {
  std::string printable;
  printable.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto [cp, length] = decode_utf8(text, i);
    if (length == 0) {
      printable.push_back('?');
      ++i;
      continue;
    }
    if (!is_control(cp)) printable.append(text.substr(i, length));
    i += length;
  }
  // Controls are dropped first, so a secret split by them is still found.
  std::string out = redact_secret_runs(printable);
  if (out.size() <= max_bytes) return out;
  constexpr std::string_view kEllipsis = "...";
  std::size_t cut = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  if (max_bytes >= kEllipsis.size()) out += kEllipsis;
  return out;
}

std::optional<std::string_view> echoable(std::string_view name) {
  if (name.empty() || name.size() > kMaxEchoedNameChars) return std::nullopt;
  for (char c : name) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return std::nullopt;
  }
  if (looks_like_secret(name)) return std::nullopt;
  return name;
}

std::string quoted_name(std::string_view name) {
  const auto shown = echoable(name);
  if (!shown) return {};
  return " \"" + std::string(*shown) + "\"";
}

}  // namespace latchkey
