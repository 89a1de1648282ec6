#include "store/sqlite/write_batcher.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace latchkey::sqlite {
namespace {

// The error every job of a batch gets when the batch cannot commit.
Error batch_error(const Error& cause) {
  Error error = cause;
  error.description = "store: write not committed: " + cause.description;
  if (error.code != ErrorCode::kUnavailable) error.code = ErrorCode::kInternal;
  error.reason.clear();
  error.details.clear();
  return error;
}

}  // namespace

WriteBatcher::WriteBatcher(std::unique_ptr<Connection> connection, int max_batch)
    : max_batch_(static_cast<std::size_t>(std::max(1, max_batch))),
      connection_(std::move(connection)),
      writer_([this] { write_loop(); }) {}

WriteBatcher::~WriteBatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  writer_.join();
}

Status WriteBatcher::run(Job job) {
  std::future<Status> done;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return fail(Error::unavailable("store: the store is closing"));
    queue_.push_back(Pending{std::move(job), {}, {}});
    done = queue_.back().done.get_future();
    // Under the lock: once the job is queued, this call no longer touches
    // the batcher, so the destructor may run while callers wait.
    work_.notify_one();
  }
  return done.get();
}

std::size_t WriteBatcher::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

WriteStats WriteBatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void WriteBatcher::write_loop() {
  std::vector<Pending> batch;
  batch.reserve(max_batch_);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and every queued job has run
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    {
      std::lock_guard lock(mu_);
      ++stats_.batches;
      stats_.jobs += batch.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
    }
    for (Pending& pending : batch) pending.done.set_value(std::move(pending.result));
    batch.clear();
  }
}

void WriteBatcher::commit_batch(std::vector<Pending>& batch) {
  Connection& connection = *connection_;
  std::optional<Error> broken;
  if (auto begun = connection.execute("BEGIN IMMEDIATE"); !begun) broken = begun.error();
  for (Pending& pending : batch) {
    if (broken) break;
    pending.result = run_in_savepoint(pending.job, broken);
  }
  if (!broken) {
    // One fsync (synchronous=FULL) makes the whole batch durable.
    if (auto committed = connection.execute("COMMIT"); !committed) broken = committed.error();
  }
  if (!broken) return;
  if (connection.in_transaction()) (void)connection.execute("ROLLBACK");
  const Error error = batch_error(*broken);
  for (Pending& pending : batch) pending.result = fail(error);
}

Status WriteBatcher::run_in_savepoint(Job& job, std::optional<Error>& broken) {
  Connection& connection = *connection_;
  if (auto s = connection.execute("SAVEPOINT job"); !s) {
    broken = s.error();
    return s;
  }
  Status result;
  try {
    result = job(connection);
  } catch (const std::exception&) {
    result = fail(Error::internal("store: a write job threw an exception"));
  }
  if (!connection.in_transaction()) {
    // SQLite rolled the whole transaction back (full disk, I/O error), or
    // the job ended it: nothing of this batch can be committed.
    broken = result ? Error::internal("store: a write job ended the transaction") : result.error();
    return result;
  }
  if (result) {
    if (auto s = connection.execute("RELEASE job"); !s) broken = s.error();
    return result;
  }
  // Undo this job only; its batch mates keep their writes.
  auto undone = connection.execute("ROLLBACK TO job");
  if (undone) undone = connection.execute("RELEASE job");
  if (!undone) broken = undone.error();
  return result;
}

}  // namespace latchkey::sqlite
