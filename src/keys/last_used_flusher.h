// LastUsedFlusher: writes KeyService's coalesced last-used times in one
// batch every `interval` on a background thread, and once more on stop()
// (server shutdown, after the HTTP server has drained). A failed flush is
// reported through `warn` and retried at the next interval.
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
#include "keys/key_service.h"

namespace latchkey::keys {

class LastUsedFlusher {
 public:
  LastUsedFlusher(KeyService& keys, Duration interval,
                  std::function<void(std::string_view)> warn = {});
  ~LastUsedFlusher();
  LastUsedFlusher(const LastUsedFlusher&) = delete;
  LastUsedFlusher& operator=(const LastUsedFlusher&) = delete;

  // Stops the thread and flushes what is pending. Idempotent.
  void stop();

 private:
  void flush_once();

  KeyService& keys_;
  Duration interval_;
  std::function<void(std::string_view)> warn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace latchkey::keys
