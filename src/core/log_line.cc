#include "core/log_line.h"

#include <cstdint>

namespace latchkey {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence at text[at], or 0 when the bytes
// there are not one; `invalid_length` is then the maximal invalid subpart
// (at least 1) to replace by a single U+FFFD.
std::size_t utf8_sequence(std::string_view text, std::size_t at, std::size_t& invalid_length) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  invalid_length = 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // the second byte's range (RFC 3629 §4)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (at + i >= text.size()) return 0;
    const unsigned char c = byte(i);
    if (i == 1 ? (c < low || c > high) : !is_continuation(c)) return 0;
    invalid_length = i + 1;
  }
  return length;
}

// Calls `sequence(view)` for each run of ASCII bytes that `plain` accepts
// (copied as they are: the common case, one append per run) and for each
// valid multi-byte sequence, `ascii(c)` for every other ASCII byte, and
// `sequence(U+FFFD)` for each invalid subpart.
template <class Plain, class Ascii, class Sequence>
void for_each_char(std::string_view text, Plain plain, Ascii ascii, Sequence sequence) {
  std::size_t i = 0;
  std::size_t run = 0;  // where the pending run of plain bytes starts
  const auto flush = [&] {
    if (i > run) sequence(text.substr(run, i - run));
  };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (plain(c)) {
        ++i;
        continue;
      }
      flush();
      ascii(static_cast<char>(c));
      run = ++i;
      continue;
    }
    flush();
    std::size_t invalid = 1;
    const std::size_t n = utf8_sequence(text, i, invalid);
    if (n == 0) {
      sequence(kReplacement);
      i += invalid;
    } else {
      sequence(text.substr(i, n));
      i += n;
    }
    run = i;
  }
  flush();
}

void append_hex_escape(std::string& out, std::string_view prefix, unsigned value, int digits) {
  out += prefix;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
    out.push_back(kHex[(value >> shift) & 15]);
}

// `,"key":` — keys are identifiers chosen by the code ([a-z_]), never input.
void append_json_key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

bool needs_text_quotes(std::string_view text) {
  if (text.empty()) return true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for_each_char(
      text, [](unsigned char c) { return c >= 0x20 && c != 0x7F && c != '"' && c != '\\'; },
      [&out](char ch) {
        switch (ch) {
          case '"':
            out += "\\\"";
            return;
          case '\\':
            out += "\\\\";
            return;
          case '\n':
            out += "\\n";
            return;
          case '\r':
            out += "\\r";
            return;
          case '\t':
            out += "\\t";
            return;
          case '\b':
            out += "\\b";
            return;
          case '\f':
            out += "\\f";
            return;
          default:
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return append_hex_escape(out, "\\u", c, 4);
        out.push_back(ch);
      },
      [&out](std::string_view sequence) {
        // U+2028 and U+2029 are valid JSON but end lines in JavaScript.
        if (sequence == "\xE2\x80\xA8") return void(out += "\\u2028");
        if (sequence == "\xE2\x80\xA9") return void(out += "\\u2029");
        out += sequence;
      });
  out.push_back('"');
}

void append_text(std::string& out, std::string_view text, bool quote_if_needed) {
  const bool quoted = quote_if_needed && needs_text_quotes(text);
  if (quoted) out.push_back('"');
  for_each_char(
      text,
      [quoted](unsigned char c) {
        return c >= 0x20 && c != 0x7F && !(quoted && (c == '"' || c == '\\'));
      },
      [&out, quoted](char ch) {
        switch (ch) {
          case '\n':
            out += "\\n";
            return;
          case '\r':
            out += "\\r";
            return;
          case '\t':
            out += "\\t";
            return;
          case '"':
          case '\\':
            if (quoted) out.push_back('\\');
            out.push_back(ch);
            return;
          default:
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return append_hex_escape(out, "\\x", c, 2);
        out.push_back(ch);
      },
      [&out](std::string_view sequence) {
        // NEL and the Unicode line and paragraph separators end lines too.
        const unsigned special = sequence == "\xC2\x85"       ? 0x85u
                                 : sequence == "\xE2\x80\xA8" ? 0x2028u
                                 : sequence == "\xE2\x80\xA9" ? 0x2029u
                                                              : 0u;
        if (special != 0) return append_hex_escape(out, "\\u", special, 4);
        out += sequence;
      });
  if (quoted) out.push_back('"');
}

LogLine::LogLine(std::string& out, LogFormat format, std::string_view time, std::string_view level,
                 std::string_view logger, std::string_view message)
    : out_(out), format_(format) {
  if (format_ == LogFormat::kJson) {
    out_ += "{\"time\":";
    append_json_string(out_, time);
    out_ += ",\"level\":";
    append_json_string(out_, level);
    out_ += ",\"logger\":";
    append_json_string(out_, logger);
    out_ += ",\"msg\":";
    append_json_string(out_, message);
  } else {
    out_ += time;
    out_.push_back(' ');
    out_ += level;
    out_.push_back(' ');
    append_text(out_, message, /*quote_if_needed=*/false);
  }
}

LogLine& LogLine::field(std::string_view key, std::string_view value) {
  if (format_ == LogFormat::kJson) {
    append_json_key(out_, key);
    append_json_string(out_, value);
  } else {
    out_.push_back(' ');
    out_ += key;
    out_.push_back('=');
    append_text(out_, value, /*quote_if_needed=*/true);
  }
  return *this;
}

LogLine& LogLine::number(std::string_view key, std::string_view value) {
  if (format_ == LogFormat::kJson) {
    append_json_key(out_, key);
  } else {
    out_.push_back(' ');
    out_ += key;
    out_.push_back('=');
  }
  out_ += value;
  return *this;
}

void LogLine::finish() {
  if (format_ == LogFormat::kJson) out_.push_back('}');
}

}  // namespace latchkey
