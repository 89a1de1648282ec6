#include "core/crash_points.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace latchkey::test_hooks {
namespace {

// 0: disarmed. Read from the environment once, before main's threads start
// (static initialization), so later calls never touch getenv.
long read_target() {
  const char* value = std::getenv(kCrashAtSyncVariable);
  if (value == nullptr) return 0;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  return end != value && *end == '\0' && n > 0 ? n : 0;
}

std::atomic<long> target{read_target()};
std::atomic<long> reached{0};

}  // namespace

bool crash_points_armed() { return target.load(std::memory_order_relaxed) > 0; }

void durability_point(std::string_view what) {
  const long n = target.load(std::memory_order_relaxed);
  if (n <= 0) return;
  if (reached.fetch_add(1, std::memory_order_relaxed) + 1 != n) return;
  const std::string line = "latchkeyd: " + std::string(kCrashAtSyncVariable) + "=" +
                           std::to_string(n) + ": killed at " + std::string(what) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::raise(SIGKILL);
}

void disarm_crash_points() { target.store(0, std::memory_order_relaxed); }

}  // namespace latchkey::test_hooks
