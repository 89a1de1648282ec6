// The agent's log: one line per event on a stream (stderr in production),
// "<UTC time> latchkey-agent <LEVEL> <message>". Every message passes
// through the SDK's masking of secret-shaped text (lk_sec_, lk_at_, lk_key_)
// as a second line of defence; callers never put a secret or a token in a
// message in the first place.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <ostream>
#include <string_view>

#include "latchkey/client/token_source.h"

namespace latchkey::agent {

class AgentLog {
 public:
  AgentLog(std::ostream& out, client::UnixClock clock);

  void info(std::string_view message) { write("INFO", message); }
  void warn(std::string_view message) { write("WARN", message); }
  void error(std::string_view message) { write("ERROR", message); }

 private:
  void write(std::string_view level, std::string_view message);

  std::mutex mu_;
  std::ostream& out_;  // guarded by mu_
  const client::UnixClock clock_;
};

// "2026-12-05T01:20:00Z" for unix seconds.
std::string format_utc(std::int64_t unix_seconds);

}  // namespace latchkey::agent
