#include "core/log_context.h"

namespace latchkey {
namespace {
thread_local const LogContext* current = nullptr;
}  // namespace

const LogContext* current_log_context() { return current; }

ScopedLogContext::ScopedLogContext(LogContext context) : context_(context), outer_(current) {
  current = &context_;
}

ScopedLogContext::~ScopedLogContext() { current = outer_; }

}  // namespace latchkey
