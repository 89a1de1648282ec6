// latchkeyd's log output on stderr (docs/logging.md): one format for every
// line, JSON objects or text, chosen by --log-format / log_format, JSON by
// default when stderr is not a terminal. Lines written while a request is
// handled (core/log_context.h) carry its request id and trace id.
//
// Thread-safety: configure_logging() once at start, before other threads
// log; set_log_level() and write_log_line() from any thread.
#pragma once

#include <memory>
#include <string_view>

#include "core/log_line.h"

namespace spdlog {
class formatter;  // spdlog/formatter.h: kept out of this header
}  // namespace spdlog

namespace latchkey::server {

// `configured`: "json", "text", or "" / "auto" (json unless stderr is a
// terminal). Anything else is read as "auto" (config validation refuses it).
LogFormat resolve_log_format(std::string_view configured, bool stderr_is_terminal);

// The --log-format the command line or LATCHKEY_LOG_FORMAT asks for (""
// when neither does), read before the configuration is parsed so that an
// error in the configuration is reported in that format.
std::string_view log_format_hint(int argc, const char* const* argv);

// The format of write_log_line() before configure_logging() (default: JSON
// unless stderr is a terminal).
void set_log_format(LogFormat format);
LogFormat log_format();

// Makes the default spdlog logger "latchkeyd" write one line per message to
// stderr in `format`, at `level` ("trace", "debug", "info", "warn",
// "error", "off"; anything else is "info").
void configure_logging(LogFormat format, std::string_view level);

// The formatter configure_logging() installs: one core/log_line.h line per
// message, with the thread's request context (tests use it on their own sink).
std::unique_ptr<spdlog::formatter> make_line_formatter(LogFormat format);

// Changes the level of the default logger (a SIGHUP reload).
void set_log_level(std::string_view level);

// One line on stderr in the current format, without the logger: for
// start-up errors before (or without) configure_logging(). In text format
// it reads "latchkeyd: <message>", unescaped, as it always has.
void write_log_line(std::string_view level, std::string_view message);

// `level` as the logs spell it: trace, debug, info, warn, error, critical.
std::string_view log_level_name(int spdlog_level);

}  // namespace latchkey::server
