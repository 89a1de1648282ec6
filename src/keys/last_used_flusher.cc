#include "keys/last_used_flusher.h"

#include <string>
#include <utility>

namespace latchkey::keys {

LastUsedFlusher::LastUsedFlusher(KeyService& keys, Duration interval,
                                 std::function<void(std::string_view)> warn)
    : keys_(keys), interval_(interval), warn_(std::move(warn)) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      flush_once();
      lock.lock();
    }
  });
}

LastUsedFlusher::~LastUsedFlusher() { stop(); }

void LastUsedFlusher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    flush_once();
  }
}

void LastUsedFlusher::flush_once() {
  auto flushed = keys_.flush_last_used();
  if (!flushed && warn_) {
    warn_("API keys: writing last-used times failed (kept for the next flush): " +
          flushed.error().description);
  }
}

}  // namespace latchkey::keys
