// WriteBatcher: the single writer of a SQLite database, with group commit.
//
// Callers on any thread hand run() a job, a function that performs its
// writes on the write connection, and block. One writer thread owns that
// connection. It takes up to `max_batch` queued jobs, opens one
// BEGIN IMMEDIATE transaction, runs each job inside its own SAVEPOINT (a job
// that fails rolls back to its savepoint and gets its own error; its batch
// mates are unaffected), COMMITs once — one fsync for the whole batch — and
// only then wakes each caller with its job's result. A job's writes are
// therefore durable before its caller returns. If the transaction cannot be
// committed (or SQLite aborted it), every job of the batch fails with
// kUnavailable (I/O, full disk, busy) or kInternal.
//
// Batches form by themselves: while one commit waits for fsync, new jobs
// queue up and go into the next batch. Nothing waits for a timer.
//
// Thread-safety: run() and stats() may be called from any thread. Jobs run on
// the writer thread one at a time and must touch only the Connection they are
// given and state their caller owns (the caller is blocked meanwhile). The
// destructor runs every job already queued (their callers get their results
// as usual), then joins the writer; a run() call must not start once the
// destructor has.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

struct WriteStats {
  std::uint64_t batches = 0;        // committed or failed transactions
  std::uint64_t jobs = 0;           // jobs run in them
  std::uint64_t largest_batch = 0;  // most jobs in one transaction
};

class WriteBatcher {
 public:
  using Job = std::function<Status(Connection&)>;

  // Takes ownership of the write connection and starts the writer thread.
  WriteBatcher(std::unique_ptr<Connection> connection, int max_batch);
  ~WriteBatcher();
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;

  // Runs `job` in the next batch and returns its result once the batch is
  // committed (or has failed).
  Status run(Job job);

  // Jobs queued and not yet taken by the writer (for tests and metrics).
  std::size_t queued() const;
  WriteStats stats() const;

 private:
  struct Pending {
    Job job;
    std::promise<Status> done;
    Status result;
  };

  void write_loop();
  void commit_batch(std::vector<Pending>& batch);
  // Runs one job inside a savepoint. Sets `broken` when the surrounding
  // transaction can no longer be committed.
  Status run_in_savepoint(Job& job, std::optional<Error>& broken);

  const std::size_t max_batch_;
  std::unique_ptr<Connection> connection_;  // used only by the writer thread

  mutable std::mutex mu_;
  std::condition_variable work_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  WriteStats stats_;           // guarded by mu_

  std::thread writer_;  // last: starts after everything above exists
};

}  // namespace latchkey::sqlite
