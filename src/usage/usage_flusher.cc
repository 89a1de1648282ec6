#include "usage/usage_flusher.h"

#include <string>
#include <utility>

namespace latchkey::usage {

UsageFlusher::UsageFlusher(UsageService& usage, Duration interval,
                           std::function<void(std::string_view)> warn)
    : usage_(usage), interval_(interval), warn_(std::move(warn)) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      flush_once();
      if (auto pruned = usage_.maintain_if_due(); !pruned && warn_) {
        warn_("key usage: pruning old rows failed (retried next hour): " +
              pruned.error().description);
      }
      lock.lock();
    }
  });
}

UsageFlusher::~UsageFlusher() { stop(); }

void UsageFlusher::stop() {
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

void UsageFlusher::flush_once() {
  auto flushed = usage_.flush();
  if (!flushed && warn_) {
    warn_("key usage: writing counts failed (kept for the next flush): " +
          flushed.error().description);
  }
}

}  // namespace latchkey::usage
