// UsageFlusher: writes the usage counts kept in memory to the store every
// `interval` on a background thread (UsageService::flush(), one
// transaction), prunes old rows when the clock has entered a new hour
// (UsageService::maintain_if_due()), and flushes once more on stop()
// (server shutdown, after the HTTP server has drained). A failed flush is
// reported through `warn` and retried at the next interval with the same
// counts (keys/last_used_flusher.h does the same for last-used times).
//
// Thread-safety: stop() may be called from any thread, once; the destructor
// calls it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "core/time.h"
#include "usage/usage_service.h"

namespace latchkey::usage {

class UsageFlusher {
 public:
  UsageFlusher(UsageService& usage, Duration interval,
               std::function<void(std::string_view)> warn = {});
  ~UsageFlusher();
  UsageFlusher(const UsageFlusher&) = delete;
  UsageFlusher& operator=(const UsageFlusher&) = delete;

  // Stops the thread and flushes what is pending. Idempotent.
  void stop();

 private:
  void flush_once();

  UsageService& usage_;
  Duration interval_;
  std::function<void(std::string_view)> warn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace latchkey::usage
