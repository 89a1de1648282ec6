// Where the server's access-log lines go, and the writer latchkeyd uses.
//
// AccessLog is what the server calls: append() once per answered request, on
// the connection's I/O thread, so an implementation must never block there
// (no write(2), no lock held across one, no waiting for another thread).
//
// BufferedAccessLog is that implementation: every thread that appends gets a
// ring buffer of its own (one producer, the writer thread the one consumer:
// no lock and no system call on either side of it). A background thread
// collects what every ring holds every poll_interval and writes it to a file
// descriptor with one write(2) per batch. When a ring is full (the writer or
// the descriptor fell behind) the line is dropped and counted, so memory
// stays bounded (buffer_bytes per appending thread) and the I/O thread never
// waits. flush() and stop()/destruction write everything appended before
// them: nothing is lost on a graceful stop.
//
// Thread-safety: append() from any number of threads; flush(), stop() and
// stats() from any thread but an appending I/O thread (they may wait for the
// writer). Lines from one thread are written in the order appended; lines of
// different threads interleave whole.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace latchkey::http {

class AccessLog {
 public:
  virtual ~AccessLog() = default;
  // One line, without its end of line. Must not block.
  virtual void append(std::string_view line) = 0;
  // Returns once every line appended before the call has been written (or
  // dropped). May block: never call it on an I/O thread.
  virtual void flush() = 0;
};

struct AccessLogOptions {
  int fd = 2;  // where lines go (not closed by the log); stderr by default
  // Each appending thread's ring, rounded up to a power of two; a line that
  // does not fit in what is free is dropped. Bounds memory per thread.
  std::size_t buffer_bytes = 512 * 1024;
  // How often the writer collects the rings. A line reaches the descriptor
  // within about this long; a thread may append buffer_bytes in it.
  std::chrono::milliseconds poll_interval{20};
  // Told, on the writer thread, about dropped lines (at most once per
  // warn_interval) and failed writes. Null: nothing is said.
  std::function<void(std::string_view)> warn;
  std::chrono::milliseconds warn_interval{10'000};
};

struct AccessLogStats {
  std::uint64_t appended = 0;  // lines accepted into a ring
  std::uint64_t dropped = 0;   // lines refused: ring full, longer than a ring, or after stop()
  std::uint64_t written_bytes = 0;
  std::uint64_t failed_bytes = 0;  // bytes lost to a failed write(2)
};

// The length of the first piece of `batch` (whole lines) to hand to one
// write(2) so that it is atomic on a pipe: at most `limit` bytes (PIPE_BUF)
// ending at a '\n', or one whole line when that line alone is longer. Lines
// of other writers to the same pipe (the logger's) then never land inside
// one of ours.
std::size_t atomic_write_length(std::string_view batch, std::size_t limit);

class BufferedAccessLog final : public AccessLog {
 public:
  explicit BufferedAccessLog(AccessLogOptions options = {});
  ~BufferedAccessLog() override;  // stop()

  void append(std::string_view line) override;
  void flush() override;
  // Writes every line appended so far and ends the writer thread; later
  // lines are dropped (counted). Idempotent.
  void stop();
  AccessLogStats stats() const;

 private:
  struct Ring;

  Ring& ring_for_this_thread();
  void run_writer();
  // Moves what every ring holds into batch_ and writes it; on the writer thread.
  void write_batch();
  void write_all(std::string_view bytes);
  void maybe_warn_dropped(bool final);

  const AccessLogOptions options_;
  const std::size_t ring_bytes_;
  const std::uint64_t id_;  // distinguishes logs in the per-thread ring cache
  // fd is not a regular file (a pipe, a socket: journald, docker): write
  // whole lines in pieces of at most PIPE_BUF, see atomic_write_length().
  const bool split_writes_;

  mutable std::mutex rings_mu_;
  std::vector<std::unique_ptr<Ring>> rings_;  // guarded by rings_mu_; never shrinks

  std::mutex mu_;
  std::condition_variable wake_;       // the writer: a flush or stop was asked for
  std::condition_variable flushed_;    // flush() callers: a batch was written
  bool stop_ = false;                  // guarded by mu_
  bool writer_done_ = false;           // guarded by mu_
  std::uint64_t flush_requested_ = 0;  // guarded by mu_
  std::uint64_t flush_done_ = 0;       // guarded by mu_
  std::atomic<bool> stopped_{false};   // append() drops from here on

  // The writer thread's (stop()'s once the writer has ended).
  std::vector<Ring*> snapshot_;
  std::string batch_;
  std::uint64_t dropped_reported_ = 0;
  std::chrono::steady_clock::time_point last_drop_warning_{};
  std::chrono::steady_clock::time_point last_write_warning_{};
  std::atomic<std::uint64_t> written_bytes_{0};
  std::atomic<std::uint64_t> failed_bytes_{0};

  std::thread writer_;  // last: started once everything above exists
};

}  // namespace latchkey::http
