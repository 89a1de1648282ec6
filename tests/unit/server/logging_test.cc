#include "server/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/log_context.h"
#include "server/config.h"

namespace latchkey::server {
namespace {

// A logger that formats like latchkeyd's into a string.
struct CapturedLogger {
  explicit CapturedLogger(LogFormat format)
      : sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out)),
        logger(std::make_shared<spdlog::logger>("latchkeyd", sink)) {
    logger->set_formatter(make_line_formatter(format));
    logger->set_level(spdlog::level::trace);
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }
  std::ostringstream out;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink;
  std::shared_ptr<spdlog::logger> logger;
};

// Test that in JSON format every message is one JSON object with time,
// level, logger and msg, whatever bytes the message holds.
TEST(Logging, JsonLinesParseWhateverTheMessage) {
  CapturedLogger log(LogFormat::kJson);
  log.logger->info("listening on {}", "http://127.0.0.1:1");
  log.logger->warn("bad path {}", std::string_view("/a\nb\"c\\\xFF\x01", 9));
  log.logger->error("multi\nline\r\nmessage");
  log.logger->debug("caf\xC3\xA9");
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 4u) << log.out.str();
  const char* levels[] = {"info", "warn", "error", "debug"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);  // throws on invalid JSON or UTF-8
    EXPECT_EQ(j["level"], levels[i]);
    EXPECT_EQ(j["logger"], "latchkeyd");
    const std::string time = j["time"];
    EXPECT_EQ(time.size(), 24u) << time;  // 2026-12-05T01:02:03.456Z
    EXPECT_EQ(time.back(), 'Z');
    EXPECT_EQ(time[10], 'T');
    EXPECT_FALSE(j.contains("request_id"));
  }
  EXPECT_EQ(nlohmann::json::parse(lines[1])["msg"], "bad path /a\nb\"c\\\xEF\xBF\xBD\x01");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["msg"], "caf\xC3\xA9");
}

// Test that a line written while a request is handled carries its ids.
TEST(Logging, LinesCarryTheRequestContext) {
  CapturedLogger log(LogFormat::kJson);
  {
    const ScopedLogContext context({"req-1", "4bf92f3577b34da6a3ce929d0e0e4736"});
    log.logger->error("handler threw");
  }
  log.logger->info("after");
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(nlohmann::json::parse(lines[1]).contains("request_id"));
}

// Test that text format is one readable line per message, controls escaped.
TEST(Logging, TextLinesStayReadable) {
  CapturedLogger log(LogFormat::kText);
  {
    const ScopedLogContext context({"req-2", ""});
    log.logger->warn("two\nlines");
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u) << log.out.str();
  EXPECT_TRUE(lines[0].ends_with(" warn two\\nlines request_id=req-2")) << lines[0];
  EXPECT_EQ(lines[0][23], 'Z');
}

// Test that the format follows the flag, else the terminal test.
TEST(Logging, ResolvesTheFormat) {
  EXPECT_EQ(resolve_log_format("json", true), LogFormat::kJson);
  EXPECT_EQ(resolve_log_format("text", false), LogFormat::kText);
  EXPECT_EQ(resolve_log_format("auto", true), LogFormat::kText);
  EXPECT_EQ(resolve_log_format("auto", false), LogFormat::kJson);
  EXPECT_EQ(resolve_log_format("", false), LogFormat::kJson);
  const char* argv[] = {"latchkeyd", "--listen", "x", "--log-format", "text"};
  EXPECT_EQ(log_format_hint(5, argv), "text");
  const char* argv2[] = {"latchkeyd", "--log-format=json"};
  EXPECT_EQ(log_format_hint(2, argv2), "json");
}

// Test that log_format takes json, text and auto (the default), nothing else,
// from TOML and from the command line, and that a bad flag is an error to
// report (not printed by the parser itself).
TEST(Logging, LogFormatSetting) {
  EXPECT_EQ(config_from_toml("")->log_format, "auto");
  EXPECT_EQ(config_from_toml("log_format = \"json\"")->log_format, "json");
  EXPECT_EQ(config_from_toml("log_format = \"text\"")->log_format, "text");
  EXPECT_FALSE(config_from_toml("log_format = \"xml\""));
  const char* argv[] = {"latchkeyd", "--log-format", "text"};
  const auto parsed = load_config(3, argv);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->config.log_format, "text");
  const char* bad[] = {"latchkeyd", "--threads", "many"};
  const auto refused = load_config(3, bad);
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->exit_now);
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_NE(refused->error.find("--threads"), std::string::npos) << refused->error;
}

}  // namespace
}  // namespace latchkey::server
