// The request a thread is working on, for log lines (docs/logging.md): while
// a ScopedLogContext lives, every line the logger writes on this thread
// carries its request id and trace id. The HTTP server sets it around each
// handler call; the logger's formatter reads it.
//
// Thread-safety: per thread; the viewed strings must outlive the scope.
#pragma once

#include <string_view>

namespace latchkey {

struct LogContext {
  std::string_view request_id;
  std::string_view trace_id;  // W3C trace id (32 hex), empty when none
};

// The innermost context of this thread, or null outside any.
const LogContext* current_log_context();

class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext context_;
  const LogContext* outer_;
};

}  // namespace latchkey
