// A spdlog sink for the access log: lines collect in memory and reach fd 2
// in one write(2) per 64 KiB, when flushed (every second, see main.cc), or
// when the sink is destroyed. It writes to the descriptor directly, so it shares stderr's file
// offset and O_APPEND with everything else written there.
// Thread-safety: spdlog's base_sink serialises calls with the mutex.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

namespace latchkey::server {

class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BufferedStderrSink() override { flush_(); }  // nothing is lost at exit

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= kFlushBytes) flush_();
  }

  void flush_() override {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is gone: drop the lines rather than stall
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  std::string buffer_;  // GUARDED_BY(base_sink::mutex_)
};

}  // namespace latchkey::server
