// One log line in latchkeyd's two formats (docs/logging.md): a JSON object
// per line, or a human-readable text line. The logger (server/logging.h)
// and the access log (http/internal/session.cc) both build their lines here,
// so every line on stderr starts with the same fields: time, level, logger,
// msg.
//
// Both formats make any input safe to print: invalid UTF-8 is replaced by
// U+FFFD (one per maximal invalid subpart, as Unicode recommends) and
// control characters are escaped, so a hostile path or header can neither
// break a line in two nor make it unparseable.
//
// Thread-safety: stateless; LogLine writes only to the string it was given.
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

enum class LogFormat { kJson, kText };

// Appends `text` as a JSON string, quotes included. Escapes '"', '\\',
// U+0000..U+001F, U+007F, U+2028 and U+2029; valid UTF-8 is kept as is.
void append_json_string(std::string& out, std::string_view text);

// Appends `text` for a text line: valid UTF-8 kept, control characters as
// \n, \r, \t or \xNN. When `quote_if_needed`, a value that is empty or holds
// a space, '"', '=' or an escape is written in double quotes (with '"' and
// '\\' escaped), logfmt style.
void append_text(std::string& out, std::string_view text, bool quote_if_needed);

// Builds one line into `out` (appended; no end of line):
//   json: {"time":"…","level":"info","logger":"access","msg":"…","key":"value",…}
//   text: 2026-12-05T01:02:03.456Z info msg key=value …
// `time` is RFC 3339 UTC with milliseconds (core/time.h format_rfc3339).
class LogLine {
 public:
  LogLine(std::string& out, LogFormat format, std::string_view time, std::string_view level,
          std::string_view logger, std::string_view message);
  // A string field (the value escaped as the format needs). Keys are
  // written as they are: identifiers chosen by the code ([a-z_]), never input.
  LogLine& field(std::string_view key, std::string_view value);
  // A field whose value is already a JSON number or literal ("200", "0.125").
  LogLine& number(std::string_view key, std::string_view value);
  // Closes the JSON object; call once, after the last field.
  void finish();

 private:
  std::string& out_;
  const LogFormat format_;
};

}  // namespace latchkey
