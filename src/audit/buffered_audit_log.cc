#include "audit/buffered_audit_log.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "core/secret.h"

namespace latchkey {
namespace {

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
  redact(event.reason);
  redact(event.client_ip);
  redact(event.user_agent);
  redact(event.integration);
}

}  // namespace

BufferedAuditLog::BufferedAuditLog(AuditStore& store, const Clock& clock,
                                   BufferedAuditLogOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  flusher_ = std::thread([this] { run_flusher(); });
}

BufferedAuditLog::~BufferedAuditLog() { shutdown(); }

void BufferedAuditLog::record(AuditEvent event) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      if (waiting_.size() >= options_.capacity) {
        ++stats_.dropped;
        return;
      }
      ++stats_.recorded;
      waiting_.push_back({clock_.now(), std::move(event)});
      if (waiting_.size() == options_.max_batch) cv_.notify_one();
      return;
    }
    ++stats_.recorded;
  }
  // After shutdown (the server has drained): write through.
  std::vector<AuditEvent> batch;
  batch.push_back(std::move(event));
  std::lock_guard write(write_mu_);
  (void)append(batch);
}

Status BufferedAuditLog::record_durably(AuditEvent event) {
  {
    std::lock_guard lock(mu_);
    ++stats_.recorded;
  }
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
  {
    std::lock_guard lock(mu_);
    stopped_ = true;  // from here on record() writes through
  }
  (void)write_waiting(true);
}

void BufferedAuditLog::tick() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

AuditLogStats BufferedAuditLog::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool BufferedAuditLog::flush_due() const {
  if (waiting_.empty()) return false;
  return waiting_.size() >= options_.max_batch ||
         clock_.now() - waiting_.front().arrived >= options_.flush_interval;
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
  Status result;
  for (;;) {
    std::vector<AuditEvent> batch;
    std::string warning;
    {
      std::lock_guard lock(mu_);
      if (waiting_.empty() || (!all && !flush_due())) break;
      const std::size_t n = std::min(options_.max_batch, waiting_.size());
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(waiting_.front().event));
        waiting_.pop_front();
      }
      if (stats_.dropped > warned_drops_) {
        warning = "audit: buffer full (" + std::to_string(options_.capacity) +
                  " events): dropped " + std::to_string(stats_.dropped - warned_drops_) +
                  " events since the last warning (" + std::to_string(stats_.dropped) +
                  " in total); the store is not keeping up";
        warned_drops_ = stats_.dropped;
      }
    }
    if (!warning.empty() && options_.warn) options_.warn(warning);
    if (auto s = append(batch); !s) result = s;
  }
  return result;
}

Status BufferedAuditLog::append(std::vector<AuditEvent>& batch) {
  for (AuditEvent& event : batch) redact(event);
  Status stored = store_.append(batch);
  {
    std::lock_guard lock(mu_);
    if (stored) {
      stats_.written += batch.size();
      ++stats_.batches;
    } else {
      stats_.failed += batch.size();
    }
  }
  if (!stored && options_.warn) {
    options_.warn("audit: could not store " + std::to_string(batch.size()) +
                  " events: " + stored.error().description);
  }
  return stored;
}

}  // namespace latchkey
