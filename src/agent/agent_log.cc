#include "agent/agent_log.h"

#include <ctime>
#include <string>

#include "client/internal/redact.h"

namespace latchkey::agent {

AgentLog::AgentLog(std::ostream& out, client::UnixClock clock)
    : out_(out), clock_(clock ? std::move(clock) : client::system_unix_seconds) {}

void AgentLog::write(std::string_view level, std::string_view message) {
  std::string line = format_utc(clock_()) + " latchkey-agent " + std::string(level) + " " +
                     client::internal::mask_secret_like(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';  // one event, one line
  }
  std::lock_guard lock(mu_);
  out_ << line << "\n" << std::flush;
}

std::string format_utc(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace latchkey::agent
