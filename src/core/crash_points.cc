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
struct Target {
  long n = 0;
  int signal = SIGKILL;
};

Target read_target() {
  const char* value = std::getenv(kCrashAtSyncVariable);
  if (value == nullptr) return {};
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  if (end == value || n <= 0) return {};
  if (*end == '\0') return {n, SIGKILL};
  if (std::string_view(end) == ",stop") return {n, SIGSTOP};
  return {};
}

const Target configured = read_target();
std::atomic<long> target{configured.n};
std::atomic<long> reached{0};

}  // namespace

bool crash_points_armed() { return target.load(std::memory_order_relaxed) > 0; }

void durability_point(std::string_view what) {
  const long n = target.load(std::memory_order_relaxed);
  if (n <= 0) return;
  if (reached.fetch_add(1, std::memory_order_relaxed) + 1 != n) return;
  const std::string line =
      "latchkeyd: " + std::string(kCrashAtSyncVariable) + "=" + std::to_string(n) + ": " +
      (configured.signal == SIGKILL ? "killed" : "stopped") + " at " + std::string(what) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::raise(configured.signal);
}

void disarm_crash_points() { target.store(0, std::memory_order_relaxed); }

}  // namespace latchkey::test_hooks
