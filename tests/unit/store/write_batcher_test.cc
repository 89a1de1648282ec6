// Group commit, deterministically: a "gate" job holds the writer until the
// jobs under test are all queued, so they form exactly one batch.
#include "store/sqlite/write_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "unit/store/temp_dir.h"

namespace latchkey::sqlite {
namespace {

using latchkey::testing::TempDir;

class WriteBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/batch.db";
    auto connection = Connection::open(path_, Connection::Access::kReadWrite, 5000);
    ASSERT_TRUE(connection) << connection.error().description;
    ASSERT_TRUE((*connection)
                    ->execute_script("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                     "CREATE TABLE t (x INTEGER PRIMARY KEY);"));
    writer_connection_ = std::move(*connection);
  }

  void start(int max_batch) {
    batcher_ = std::make_unique<WriteBatcher>(std::move(writer_connection_), max_batch);
  }

  static WriteBatcher::Job insert(int x) {
    return [x](Connection& c) -> Status {
      auto statement = c.prepare("INSERT INTO t (x) VALUES (?)");
      if (!statement) return fail(statement.error());
      statement->bind_int(1, x);
      return statement->run();
    };
  }

  // Rows of t, read with a connection of its own.
  std::vector<int> rows() {
    auto connection = Connection::open(path_, Connection::Access::kReadOnly, 5000);
    EXPECT_TRUE(connection);
    std::vector<int> out;
    if (!connection) return out;
    auto statement = (*connection)->prepare("SELECT x FROM t ORDER BY x");
    EXPECT_TRUE(statement);
    while (statement && statement->step().value_or(false)) {
      out.push_back(static_cast<int>(statement->int_at(0)));
    }
    return out;
  }

  // Runs `jobs`, one thread each, while a gate job holds the writer, so
  // that they are all queued before the writer takes any of them.
  std::vector<Status> run_held(std::vector<WriteBatcher::Job> jobs) {
    std::atomic<bool> gate_running{false};
    std::atomic<bool> release{false};
    const std::size_t n = jobs.size();
    std::thread gate([&] {
      EXPECT_TRUE(batcher_->run([&](Connection&) -> Status {
        gate_running.store(true);
        while (!release.load()) std::this_thread::yield();
        return {};
      }));
    });
    while (!gate_running.load()) std::this_thread::yield();

    std::vector<Status> results(n);
    std::vector<std::thread> callers;
    for (std::size_t i = 0; i < n; ++i) {
      callers.emplace_back([&, i] { results[i] = batcher_->run(std::move(jobs[i])); });
    }
    while (batcher_->queued() < n) std::this_thread::yield();
    release.store(true);
    gate.join();
    for (auto& t : callers) t.join();
    return results;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Connection> writer_connection_;
  std::unique_ptr<WriteBatcher> batcher_;
};

// Test that jobs queued while a commit is under way are committed together,
// in one transaction.
TEST_F(WriteBatcherTest, QueuedJobsShareOneCommit) {
  start(64);
  std::vector<WriteBatcher::Job> jobs;
  for (int i = 0; i < 10; ++i) jobs.push_back(insert(i));
  const auto results = run_held(std::move(jobs));
  for (const Status& s : results) EXPECT_TRUE(s) << s.error().description;
  const WriteStats stats = batcher_->stats();
  EXPECT_EQ(stats.batches, 2u);  // the gate alone, then all ten
  EXPECT_EQ(stats.jobs, 11u);
  EXPECT_EQ(stats.largest_batch, 10u);
  EXPECT_EQ(rows(), std::vector<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// Test that a job that fails, even after writing, rolls back alone: its
// batch mates commit and get success.
TEST_F(WriteBatcherTest, FailingJobRollsBackOnlyItself) {
  start(64);
  // Row 1 exists before the batch: the jobs queue in whatever order their
  // threads reach the batcher, so the conflict must not depend on that order.
  ASSERT_TRUE(batcher_->run(insert(1)));
  std::vector<WriteBatcher::Job> jobs;
  jobs.push_back(insert(5));
  jobs.push_back([](Connection& c) -> Status {
    if (auto s = insert(2)(c); !s) return s;  // written, then undone
    return fail(Error::conflict("the job changed its mind"));
  });
  jobs.push_back(insert(3));
  jobs.push_back(insert(1));  // violates the primary key: kConflict
  jobs.push_back(insert(4));
  const auto results = run_held(std::move(jobs));
  EXPECT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().description, "the job changed its mind");
  EXPECT_TRUE(results[2]);
  ASSERT_FALSE(results[3]);
  EXPECT_EQ(results[3].error().code, ErrorCode::kConflict);
  EXPECT_TRUE(results[4]);
  EXPECT_EQ(batcher_->stats().largest_batch, 5u);
  EXPECT_EQ(rows(), std::vector<int>({1, 3, 4, 5}));
}

// Test that when the batch's transaction cannot commit, every job of the
// batch fails and none of their writes remain; the next batch works again.
TEST_F(WriteBatcherTest, BrokenTransactionFailsTheWholeBatch) {
  start(64);
  std::vector<WriteBatcher::Job> jobs;
  jobs.push_back(insert(1));
  jobs.push_back([](Connection& c) -> Status { return c.execute("ROLLBACK"); });
  jobs.push_back(insert(3));
  const auto results = run_held(std::move(jobs));
  for (const Status& s : results) {
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kInternal);
  }
  EXPECT_TRUE(rows().empty());
  EXPECT_TRUE(batcher_->run(insert(7)));
  EXPECT_EQ(rows(), std::vector<int>({7}));
}

// Test that a job that throws fails alone with kInternal.
TEST_F(WriteBatcherTest, ThrowingJobFailsAlone) {
  start(64);
  std::vector<WriteBatcher::Job> jobs;
  jobs.push_back(insert(1));
  jobs.push_back([](Connection& c) -> Status {
    (void)insert(2)(c);
    throw std::runtime_error("boom");
  });
  jobs.push_back(insert(3));
  const auto results = run_held(std::move(jobs));
  EXPECT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code, ErrorCode::kInternal);
  EXPECT_TRUE(results[2]);
  EXPECT_EQ(rows(), std::vector<int>({1, 3}));
}

// Test that no batch holds more than max_batch jobs.
TEST_F(WriteBatcherTest, BatchesAreCappedAtMaxBatch) {
  start(4);
  std::vector<WriteBatcher::Job> jobs;
  for (int i = 0; i < 10; ++i) jobs.push_back(insert(i));
  const auto results = run_held(std::move(jobs));
  for (const Status& s : results) EXPECT_TRUE(s);
  const WriteStats stats = batcher_->stats();
  EXPECT_EQ(stats.largest_batch, 4u);
  EXPECT_EQ(stats.batches, 4u);  // gate, then 4 + 4 + 2
  EXPECT_EQ(rows().size(), 10u);
}

// Test that the destructor runs every queued job before it returns.
TEST_F(WriteBatcherTest, DestructorDrainsTheQueue) {
  start(3);
  std::atomic<bool> gate_running{false};
  std::atomic<bool> release{false};
  std::thread gate([&] {
    EXPECT_TRUE(batcher_->run([&](Connection&) -> Status {
      gate_running.store(true);
      while (!release.load()) std::this_thread::yield();
      return {};
    }));
  });
  while (!gate_running.load()) std::this_thread::yield();
  constexpr int kJobs = 8;
  std::vector<Status> results(kJobs);
  std::vector<std::thread> callers;
  for (int i = 0; i < kJobs; ++i) {
    callers.emplace_back([&, i] { results[i] = batcher_->run(insert(i)); });
  }
  while (batcher_->queued() < static_cast<std::size_t>(kJobs)) std::this_thread::yield();
  release.store(true);
  batcher_.reset();  // the queue still holds the jobs (the writer may be in the gate)
  gate.join();
  for (auto& t : callers) t.join();
  for (const Status& s : results) EXPECT_TRUE(s) << s.error().description;
  EXPECT_EQ(rows().size(), static_cast<std::size_t>(kJobs));
}

}  // namespace
}  // namespace latchkey::sqlite
