#include "server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log_context.h"
#include "core/time.h"

namespace latchkey::server {
namespace {

std::atomic<LogFormat> current_format{LogFormat::kJson};
std::atomic<bool> format_set{false};

LogFormat default_format() {
  return ::isatty(STDERR_FILENO) != 0 ? LogFormat::kText : LogFormat::kJson;
}

spdlog::level::level_enum parse_level(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "off") return spdlog::level::off;
  return spdlog::level::info;
}

std::string now_rfc3339() {
  // Log lines carry the wall-clock time of the machine, as every log
  // collector expects (not the injectable Clock).
  return format_rfc3339(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
}

// Formats spdlog's messages as core/log_line.h lines, with the thread's
// request context.
class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    thread_local std::string line;
    line.clear();
    const std::string time = format_rfc3339(std::chrono::time_point_cast<Duration>(msg.time));
    LogLine out(line, format_, time, log_level_name(msg.level),
                std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                std::string_view(msg.payload.data(), msg.payload.size()));
    if (const LogContext* context = current_log_context()) {
      if (!context->request_id.empty()) out.field("request_id", context->request_id);
      if (!context->trace_id.empty()) out.field("trace_id", context->trace_id);
    }
    out.finish();
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
};

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

LogFormat resolve_log_format(std::string_view configured, bool stderr_is_terminal) {
  if (configured == "json") return LogFormat::kJson;
  if (configured == "text") return LogFormat::kText;
  return stderr_is_terminal ? LogFormat::kText : LogFormat::kJson;
}

std::string_view log_format_hint(int argc, const char* const* argv) {
  std::string_view hint;
  if (const char* env = std::getenv("LATCHKEY_LOG_FORMAT")) hint = env;
  for (int i = 1; i < argc; ++i) {  // flags win over the environment
    const std::string_view arg = argv[i];
    if (arg == "--log-format" && i + 1 < argc) hint = argv[i + 1];
    if (arg.starts_with("--log-format=")) hint = arg.substr(std::strlen("--log-format="));
  }
  return hint;
}

void set_log_format(LogFormat format) {
  current_format.store(format);
  format_set.store(true);
}

LogFormat log_format() { return format_set.load() ? current_format.load() : default_format(); }

void configure_logging(LogFormat format, std::string_view level) {
  set_log_format(format);
  auto logger = spdlog::get("latchkeyd");
  if (!logger) logger = spdlog::stderr_logger_mt("latchkeyd");
  logger->set_formatter(std::make_unique<LineFormatter>(format));
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

std::unique_ptr<spdlog::formatter> make_line_formatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

void set_log_level(std::string_view level) { spdlog::set_level(parse_level(level)); }

void write_log_line(std::string_view level, std::string_view message) {
  std::string line;
  if (log_format() == LogFormat::kJson) {
    LogLine(line, LogFormat::kJson, now_rfc3339(), level, "latchkeyd", message).finish();
  } else {
    // As ever, for a person at a terminal: start-up errors come from the
    // configuration, not from clients, and may span lines (a TOML excerpt).
    line = "latchkeyd: ";
    line += message;
  }
  line.push_back('\n');
  std::fflush(stderr);
  write_all(STDERR_FILENO, line);
}

std::string_view log_level_name(int spdlog_level) {
  switch (spdlog_level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

}  // namespace latchkey::server
