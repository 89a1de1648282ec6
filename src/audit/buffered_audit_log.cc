#include "audit/buffered_audit_log.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <utility>

#include "core/redaction.h"
#include "core/secret.h"

namespace latchkey {
namespace {

constexpr std::int64_t kNoneWaiting = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxShards = 256;

void redact(std::string& text) {
  if (contains_secret_like(text)) text = redact_secrets(text);
}

// seed 001 / DESIGN invariant 6: nothing stored in the trail holds a full
// secret, whatever a client sent in its headers.
void redact(AuditEvent& event) {
  redact(event.principal_id);
  redact(event.principal_name);
  redact(event.credential);
  redact(event.action);
  redact(event.resource);
  // A resource names path ids the client sent ("user/<id>"): another
  // service's key pasted there goes too (docs/security/echo-and-timing.md).
  if (looks_like_secret(event.resource)) event.resource = redact_secret_segments(event.resource);
  redact(event.reason);
  redact(event.client_ip);
  redact(event.user_agent);
  redact(event.integration);
}

// The coalescing key: every field of the call but its time (and the id the
// store assigns). same_call() and key_hash() must agree on it.
bool same_call(const AuditEvent& a, const AuditEvent& b) {
  return a.decision == b.decision && a.action == b.action && a.principal_id == b.principal_id &&
         a.resource == b.resource && a.credential == b.credential &&
         a.principal_name == b.principal_name && a.reason == b.reason &&
         a.client_ip == b.client_ip && a.user_agent == b.user_agent &&
         a.integration == b.integration;
}

std::size_t key_hash(const AuditEvent& event) {
  std::size_t h = static_cast<std::size_t>(event.decision);
  auto mix = [&h](std::string_view field) {
    h ^= std::hash<std::string_view>{}(field) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  };
  mix(event.principal_id);
  mix(event.principal_name);
  mix(event.credential);
  mix(event.action);
  mix(event.resource);
  mix(event.reason);
  mix(event.client_ip);
  mix(event.user_agent);
  mix(event.integration);
  return h;
}

// This thread's number, given out round robin on its first record(): the
// threads of a process spread evenly over any log's shards.
std::size_t thread_slot() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed);
  return slot;
}

std::size_t shard_count_for(std::size_t requested) {
  if (requested == 0) requested = 2 * std::max(1u, std::thread::hardware_concurrency());
  return std::clamp<std::size_t>(requested, 1, kMaxShards);
}

BufferedAuditLogOptions normalized(BufferedAuditLogOptions options) {
  options.max_batch = std::max<std::size_t>(options.max_batch, 1);
  return options;
}

}  // namespace

BufferedAuditLog::Shard::Shard() : oldest_ms(kNoneWaiting) {}

BufferedAuditLog::BufferedAuditLog(AuditStore& store, const Clock& clock,
                                   BufferedAuditLogOptions options)
    : store_(store),
      clock_(clock),
      options_(normalized(std::move(options))),
      shard_count_(shard_count_for(options_.shards)),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
  flusher_ = std::thread([this] { run_flusher(); });
}

BufferedAuditLog::~BufferedAuditLog() { shutdown(); }

bool BufferedAuditLog::merge(Pending& into, const Pending& from, Duration window) {
  if (into.key_hash != from.key_hash || !same_call(into.event, from.event)) return false;
  const Instant first = std::min(into.event.at, from.event.at);
  const Instant last = std::max(into.last_at, from.last_at);
  if (last - first >= window) return false;
  into.event.at = first;
  into.last_at = last;
  into.event.count += from.event.count;
  return true;
}

// `rows` in time order, so that the newest row of a key is the one a later
// row can be merged into.
void BufferedAuditLog::coalesce(std::vector<Pending>& rows, Duration window) {
  std::vector<Pending> kept;
  kept.reserve(rows.size());
  std::unordered_map<std::size_t, std::size_t> by_key;  // key hash -> newest index in kept
  by_key.reserve(rows.size());
  for (Pending& row : rows) {
    auto [it, inserted] = by_key.try_emplace(row.key_hash, kept.size());
    if (!inserted && merge(kept[it->second], row, window)) continue;
    it->second = kept.size();
    kept.push_back(std::move(row));
  }
  rows = std::move(kept);
}

BufferedAuditLog::Shard& BufferedAuditLog::shard_of_this_thread() {
  return shards_[thread_slot() % shard_count_];
}

void BufferedAuditLog::record(AuditEvent event) {
  if (event.count == 0) event.count = 1;
  const std::uint64_t n = event.count;
  Pending row{std::move(event), {}, 0};
  row.last_at = row.event.at;
  row.key_hash = key_hash(row.event);

  Shard& shard = shard_of_this_thread();
  std::unique_lock lock(shard.mu);
  if (shard.closed) {
    lock.unlock();
    shard.recorded.fetch_add(n, std::memory_order_relaxed);
    // After shutdown (the server has drained): write through.
    std::vector<AuditEvent> batch;
    batch.push_back(std::move(row.event));
    std::lock_guard write(write_mu_);
    (void)append(batch);
    return;
  }
  if (auto it = shard.by_key.find(row.key_hash);
      it != shard.by_key.end() && merge(shard.rows[it->second], row, options_.flush_interval)) {
    shard.recorded.fetch_add(n, std::memory_order_relaxed);
    return;
  }
  const std::size_t waiting = waiting_rows_.fetch_add(1, std::memory_order_relaxed);
  if (waiting >= options_.capacity) {
    waiting_rows_.fetch_sub(1, std::memory_order_relaxed);
    shard.dropped.fetch_add(n, std::memory_order_relaxed);
    return;
  }
  shard.recorded.fetch_add(n, std::memory_order_relaxed);
  if (shard.rows.empty()) {
    shard.oldest_ms.store(to_unix_millis(clock_.now()), std::memory_order_relaxed);
  }
  shard.by_key[row.key_hash] = shard.rows.size();
  shard.rows.push_back(std::move(row));
  const bool batch_full = waiting + 1 == options_.max_batch;
  lock.unlock();
  if (batch_full) {
    // Once per max_batch rows. Under mu_ so that the wake-up cannot fall
    // between the flusher's check and its wait.
    std::lock_guard wake(mu_);
    cv_.notify_one();
  }
}

Status BufferedAuditLog::record_durably(AuditEvent event) {
  if (event.count == 0) event.count = 1;
  durable_recorded_.fetch_add(event.count, std::memory_order_relaxed);
  std::vector<AuditEvent> batch;
  batch.push_back(std::move(event));
  return append(batch);
}

Status BufferedAuditLog::flush() { return write_waiting(true); }

void BufferedAuditLog::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  flusher_.join();
  // From here on record() writes through; what was buffered before is
  // taken below.
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].closed = true;
  }
  (void)write_waiting(true);
}

void BufferedAuditLog::tick() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

AuditLogStats BufferedAuditLog::stats() const {
  AuditLogStats stats;
  stats.recorded = durable_recorded_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    stats.recorded += shards_[i].recorded.load(std::memory_order_relaxed);
    stats.dropped += shards_[i].dropped.load(std::memory_order_relaxed);
  }
  stats.written = written_.load(std::memory_order_relaxed);
  stats.rows = rows_written_.load(std::memory_order_relaxed);
  stats.failed = failed_.load(std::memory_order_relaxed);
  stats.batches = batches_.load(std::memory_order_relaxed);
  return stats;
}

bool BufferedAuditLog::flush_due() const {
  if (waiting_rows_.load(std::memory_order_relaxed) >= options_.max_batch) return true;
  const std::int64_t due_before = to_unix_millis(clock_.now() - options_.flush_interval);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    if (shards_[i].oldest_ms.load(std::memory_order_relaxed) <= due_before) return true;
  }
  return false;
}

void BufferedAuditLog::run_flusher() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, options_.flush_interval, [this] { return stopping_ || flush_due(); });
    if (stopping_) return;
    if (!flush_due()) continue;
    lock.unlock();
    (void)write_waiting(false);
    lock.lock();
  }
}

Status BufferedAuditLog::write_waiting(bool all) {
  std::lock_guard write(write_mu_);
  if (!all && !flush_due()) return {};
  std::vector<Pending> rows;
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    std::vector<Pending> taken;
    {
      std::lock_guard lock(shard.mu);
      taken.swap(shard.rows);
      shard.by_key.clear();
      shard.oldest_ms.store(kNoneWaiting, std::memory_order_relaxed);
      waiting_rows_.fetch_sub(taken.size(), std::memory_order_relaxed);
    }
    dropped += shard.dropped.load(std::memory_order_relaxed);
    if (taken.empty()) continue;
    rows.insert(rows.end(), std::make_move_iterator(taken.begin()),
                std::make_move_iterator(taken.end()));
  }
  if (dropped > warned_drops_ && options_.warn) {
    options_.warn("audit: buffer full (" + std::to_string(options_.capacity) +
                  " events): dropped " + std::to_string(dropped - warned_drops_) +
                  " events since the last warning (" + std::to_string(dropped) +
                  " in total); the store is not keeping up");
  }
  warned_drops_ = dropped;
  if (rows.empty()) return {};
  // Interleave the shards' rows in time order (stable: calls made at the
  // same time keep their recording order), then make identical calls
  // recorded on different threads one row too.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Pending& a, const Pending& b) { return a.event.at < b.event.at; });
  coalesce(rows, options_.flush_interval);

  Status result;
  for (std::size_t begin = 0; begin < rows.size(); begin += options_.max_batch) {
    const std::size_t end = std::min(rows.size(), begin + options_.max_batch);
    std::vector<AuditEvent> batch;
    batch.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) batch.push_back(std::move(rows[i].event));
    if (auto s = append(batch); !s) result = s;
  }
  return result;
}

Status BufferedAuditLog::append(std::vector<AuditEvent>& batch) {
  std::uint64_t events = 0;
  for (AuditEvent& event : batch) {
    redact(event);
    events += event.count;
  }
  Status stored = store_.append(batch);
  if (stored) {
    written_.fetch_add(events, std::memory_order_relaxed);
    rows_written_.fetch_add(batch.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
  } else {
    failed_.fetch_add(events, std::memory_order_relaxed);
    if (options_.warn) {
      options_.warn("audit: could not store " + std::to_string(events) +
                    " events: " + stored.error().description);
    }
  }
  return stored;
}

}  // namespace latchkey
