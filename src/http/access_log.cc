#include "http/access_log.h"

#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>

namespace latchkey::http {
namespace {

constexpr std::size_t kMinRingBytes = 4096;
// A descriptor that is not ready (O_NONBLOCK) is polled this long at a time.
constexpr int kWritablePollMs = 100;

std::atomic<std::uint64_t> next_log_id{1};

// Counters written by one thread only: no read-modify-write needed.
void bump(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

bool is_regular_file(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::size_t atomic_write_length(std::string_view batch, std::size_t limit) {
  if (batch.size() <= limit) return batch.size();
  const auto last = batch.rfind('\n', limit - 1);
  if (last != std::string_view::npos) return last + 1;
  const auto first = batch.find('\n');  // one line longer than limit
  return first == std::string_view::npos ? batch.size() : first + 1;
}

// One appending thread's lines: a byte ring with a single producer (that
// thread) and a single consumer (the writer). The producer publishes whole
// lines by advancing head (release); the writer frees them by advancing tail
// (release). head and tail only grow; their difference is the bytes held.
struct BufferedAccessLog::Ring {
  Ring(std::size_t bytes, std::thread::id owner_thread)
      : data(std::make_unique_for_overwrite<char[]>(bytes)), capacity(bytes), owner(owner_thread) {}

  const std::unique_ptr<char[]> data;
  const std::size_t capacity;  // a power of two
  const std::thread::id owner;

  // Written by the producer.
  alignas(64) std::atomic<std::uint64_t> head{0};
  std::atomic<std::uint64_t> known_tail{0};  // the producer's last look at tail
  std::atomic<std::uint64_t> appended{0};
  std::atomic<std::uint64_t> dropped{0};
  // Written by the writer.
  alignas(64) std::atomic<std::uint64_t> tail{0};
};

namespace {

// Each thread remembers its ring in the last few logs it appended to, so
// that append() finds it without a lock. Log ids are never reused.
struct RingCacheEntry {
  std::uint64_t log_id = 0;
  void* ring = nullptr;
};
constexpr std::size_t kRingCacheEntries = 4;
thread_local std::array<RingCacheEntry, kRingCacheEntries> ring_cache{};
thread_local std::size_t ring_cache_next = 0;

}  // namespace

BufferedAccessLog::BufferedAccessLog(AccessLogOptions options)
    : options_(std::move(options)),
      ring_bytes_(std::bit_ceil(std::max(options_.buffer_bytes, kMinRingBytes))),
      id_(next_log_id.fetch_add(1, std::memory_order_relaxed)),
      split_writes_(!is_regular_file(options_.fd)),
      writer_([this] { run_writer(); }) {}

BufferedAccessLog::~BufferedAccessLog() { stop(); }

BufferedAccessLog::Ring& BufferedAccessLog::ring_for_this_thread() {
  for (const RingCacheEntry& entry : ring_cache) {
    if (entry.log_id == id_) return *static_cast<Ring*>(entry.ring);
  }
  // First append from this thread (or the cache moved on): once per thread.
  Ring* ring = nullptr;
  {
    std::lock_guard lock(rings_mu_);
    const auto me = std::this_thread::get_id();
    for (const auto& r : rings_) {
      // A thread id is reused only once its thread has ended: still one producer.
      if (r->owner == me) ring = r.get();
    }
    if (ring == nullptr) {
      rings_.push_back(std::make_unique<Ring>(ring_bytes_, me));
      ring = rings_.back().get();
    }
  }
  ring_cache[ring_cache_next++ % kRingCacheEntries] = RingCacheEntry{id_, ring};
  return *ring;
}

void BufferedAccessLog::append(std::string_view line) {
  Ring& ring = ring_for_this_thread();
  const std::size_t bytes = line.size() + 1;  // and '\n'
  if (stopped_.load(std::memory_order_relaxed) || bytes > ring.capacity) {
    return bump(ring.dropped);
  }
  const std::uint64_t head = ring.head.load(std::memory_order_relaxed);
  std::uint64_t tail = ring.known_tail.load(std::memory_order_relaxed);
  if (ring.capacity - (head - tail) < bytes) {
    tail = ring.tail.load(std::memory_order_acquire);  // the writer may have freed room
    ring.known_tail.store(tail, std::memory_order_relaxed);
    if (ring.capacity - (head - tail) < bytes) return bump(ring.dropped);  // never wait
  }
  const std::size_t mask = ring.capacity - 1;
  const std::size_t at = static_cast<std::size_t>(head) & mask;
  const std::size_t first = std::min(line.size(), ring.capacity - at);
  std::memcpy(ring.data.get() + at, line.data(), first);
  std::memcpy(ring.data.get(), line.data() + first, line.size() - first);
  ring.data[static_cast<std::size_t>(head + line.size()) & mask] = '\n';
  ring.head.store(head + bytes, std::memory_order_release);
  bump(ring.appended);
}

void BufferedAccessLog::flush() {
  std::unique_lock lock(mu_);
  if (writer_done_) return;
  const std::uint64_t mine = ++flush_requested_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= mine || writer_done_; });
}

void BufferedAccessLog::stop() {
  bool join = false;
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      stop_ = true;
      join = true;
      stopped_.store(true, std::memory_order_relaxed);
    }
  }
  if (!join) {  // another caller is stopping it: wait for that
    std::unique_lock lock(mu_);
    flushed_.wait(lock, [&] { return writer_done_; });
    return;
  }
  wake_.notify_one();
  writer_.join();
  // A line that raced with stop_ may have landed after the writer's last
  // batch: this thread is the only consumer now.
  write_batch();
}

AccessLogStats BufferedAccessLog::stats() const {
  AccessLogStats stats;
  {
    std::lock_guard lock(rings_mu_);
    for (const auto& r : rings_) {
      stats.appended += r->appended.load(std::memory_order_relaxed);
      stats.dropped += r->dropped.load(std::memory_order_relaxed);
    }
  }
  stats.written_bytes = written_bytes_.load(std::memory_order_relaxed);
  stats.failed_bytes = failed_bytes_.load(std::memory_order_relaxed);
  return stats;
}

void BufferedAccessLog::run_writer() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, options_.poll_interval,
                   [&] { return stop_ || flush_requested_ != flush_done_; });
    const std::uint64_t asked = flush_requested_;
    const bool stopping = stop_;
    lock.unlock();
    write_batch();
    maybe_warn_dropped(/*final=*/stopping);
    lock.lock();
    flush_done_ = asked;
    if (stopping) writer_done_ = true;
    flushed_.notify_all();
    if (stopping) return;
  }
}

void BufferedAccessLog::write_batch() {
  {
    std::lock_guard lock(rings_mu_);
    snapshot_.clear();
    for (const auto& r : rings_) snapshot_.push_back(r.get());
  }
  batch_.clear();
  for (Ring* ring : snapshot_) {
    const std::uint64_t tail = ring->tail.load(std::memory_order_relaxed);
    const std::uint64_t head = ring->head.load(std::memory_order_acquire);
    if (head == tail) continue;
    const std::size_t at = static_cast<std::size_t>(tail) & (ring->capacity - 1);
    const auto held = static_cast<std::size_t>(head - tail);
    const std::size_t first = std::min(held, ring->capacity - at);
    batch_.append(ring->data.get() + at, first);
    batch_.append(ring->data.get(), held - first);
    ring->tail.store(head, std::memory_order_release);  // the producer may reuse it now
  }
  std::string_view rest = batch_;
  while (!rest.empty()) {
    const std::size_t n = split_writes_ ? atomic_write_length(rest, PIPE_BUF) : rest.size();
    write_all(rest.substr(0, n));
    rest.remove_prefix(n);
  }
}

void BufferedAccessLog::write_all(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(options_.fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd writable{options_.fd, POLLOUT, 0};
      ::poll(&writable, 1, kWritablePollMs);
      continue;
    }
    // The descriptor is gone (closed, EPIPE, disk full): drop the batch
    // rather than stall; say so now and then.
    const int error = n < 0 ? errno : 0;
    failed_bytes_.fetch_add(bytes.size() - done, std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (options_.warn && (last_write_warning_ == std::chrono::steady_clock::time_point{} ||
                          now - last_write_warning_ >= options_.warn_interval)) {
      last_write_warning_ = now;
      options_.warn(fmt::format("access log: write failed ({}); {} bytes lost",
                                error != 0 ? std::strerror(error) : "nothing written",
                                bytes.size() - done));
    }
    break;
  }
  written_bytes_.fetch_add(done, std::memory_order_relaxed);
}

void BufferedAccessLog::maybe_warn_dropped(bool final) {
  if (!options_.warn) return;
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(rings_mu_);
    for (const auto& r : rings_) dropped += r->dropped.load(std::memory_order_relaxed);
  }
  if (dropped == dropped_reported_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!final && last_drop_warning_ != std::chrono::steady_clock::time_point{} &&
      now - last_drop_warning_ < options_.warn_interval) {
    return;
  }
  options_.warn(fmt::format("access log: {} line(s) dropped, the writer fell behind",
                            dropped - dropped_reported_));
  dropped_reported_ = dropped;
  last_drop_warning_ = now;
}

}  // namespace latchkey::http
