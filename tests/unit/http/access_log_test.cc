#include "http/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;

// A temporary file to log into; read back whole.
class TempLogFile {
 public:
  TempLogFile() {
    char pattern[] = "/tmp/latchkey-access-log-XXXXXX";
    fd_ = ::mkstemp(pattern);
    path_ = pattern;
  }
  ~TempLogFile() {
    if (fd_ >= 0) ::close(fd_);
    std::remove(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string contents() const {
    std::string out;
    char buf[65536];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(fd_, buf, sizeof buf, at);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(contents());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Collects warnings (called on the writer thread).
class Warnings {
 public:
  std::function<void(std::string_view)> callback() {
    return [this](std::string_view m) {
      std::lock_guard lock(mu_);
      messages_.emplace_back(m);
    };
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

// Test that lines from several threads all arrive, whole, each thread's in
// the order appended, once the log is stopped.
TEST(BufferedAccessLog, EveryLineArrivesInOrderPerThread) {
  TempLogFile file;
  constexpr int kThreads = 4;
  constexpr int kLines = 20'000;
  AccessLogStats stats;
  {
    AccessLogOptions options;
    options.fd = file.fd();
    options.buffer_bytes = 1 << 20;  // ample: this test drops nothing
    options.poll_interval = 1ms;
    BufferedAccessLog log(options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kLines; ++i) {
          log.append("{\"thread\":" + std::to_string(t) + ",\"n\":" + std::to_string(i) + "}");
        }
      });
    }
    for (auto& th : threads) th.join();
    log.stop();
    stats = log.stats();
  }
  EXPECT_EQ(stats.appended, static_cast<std::uint64_t>(kThreads * kLines));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.failed_bytes, 0u);
  const auto lines = file.lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kLines));
  EXPECT_EQ(stats.written_bytes, file.contents().size());
  std::map<int, int> next;
  for (const std::string& line : lines) {
    int t = -1;
    int n = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "{\"thread\":%d,\"n\":%d}", &t, &n), 2) << line;
    EXPECT_EQ(line, "{\"thread\":" + std::to_string(t) + ",\"n\":" + std::to_string(n) + "}");
    EXPECT_EQ(n, next[t]) << "thread " << t;
    next[t] = n + 1;
  }
}

// Test that flush() returns once every line appended before it is written,
// without waiting for the poll interval, and the log keeps working after.
TEST(BufferedAccessLog, FlushWritesWhatCameBefore) {
  TempLogFile file;
  AccessLogOptions options;
  options.fd = file.fd();
  options.poll_interval = 1h;  // only flush() makes it write
  BufferedAccessLog log(options);
  log.append("one");
  log.append("two");
  const auto started = std::chrono::steady_clock::now();
  log.flush();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(file.contents(), "one\ntwo\n");
  log.append("three");
  log.flush();
  EXPECT_EQ(file.contents(), "one\ntwo\nthree\n");
  log.stop();
  log.flush();  // after stop: returns at once
}

// Test that a full ring drops (and counts) further lines instead of waiting
// for the writer, keeps the ones it took, and that a warning says so.
TEST(BufferedAccessLog, DropsAndCountsWhenTheWriterFallsBehind) {
  TempLogFile file;
  Warnings warnings;
  AccessLogOptions options;
  options.fd = file.fd();
  options.buffer_bytes = 4096;
  options.poll_interval = 1h;  // the writer does not collect until stop()
  options.warn = warnings.callback();
  BufferedAccessLog log(options);
  const std::string filler(99, 'x');  // 100 bytes per line with its '\n'
  constexpr int kLines = 100;         // 10 000 bytes into a 4 096-byte ring
  for (int i = 0; i < kLines; ++i) log.append(filler);
  const AccessLogStats before = log.stats();
  EXPECT_EQ(before.appended, 40u);  // 40 * 100 bytes fit in 4 096
  EXPECT_EQ(before.dropped, static_cast<std::uint64_t>(kLines) - 40u);
  log.stop();
  EXPECT_EQ(file.lines().size(), 40u);
  const auto messages = warnings.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("60 line(s) dropped"), std::string::npos) << messages[0];
}

// Test that room freed by the writer is used again (the ring wraps around
// its end), with every line intact.
TEST(BufferedAccessLog, RingWrapsAround) {
  TempLogFile file;
  AccessLogOptions options;
  options.fd = file.fd();
  options.buffer_bytes = 4096;
  options.poll_interval = 1h;
  BufferedAccessLog log(options);
  std::string expected;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 30; ++i) {
      const std::string line = "round " + std::to_string(round) + " line " + std::to_string(i) +
                               " " + std::string(static_cast<std::size_t>(i * 3), '.');
      log.append(line);
      expected += line + "\n";
    }
    log.flush();
  }
  log.stop();
  EXPECT_EQ(log.stats().dropped, 0u);
  EXPECT_EQ(file.contents(), expected);
}

// Test that a line longer than a ring, and any line after stop(), is
// dropped and counted.
TEST(BufferedAccessLog, RefusesOversizedLinesAndLinesAfterStop) {
  TempLogFile file;
  AccessLogOptions options;
  options.fd = file.fd();
  options.buffer_bytes = 4096;
  BufferedAccessLog log(options);
  log.append(std::string(4096, 'y'));  // with its '\n' one byte too many
  log.append("kept");
  log.stop();
  log.append("late");
  log.stop();  // idempotent
  EXPECT_EQ(file.contents(), "kept\n");
  EXPECT_EQ(log.stats().dropped, 2u);
  EXPECT_EQ(log.stats().appended, 1u);
}

// Test that a descriptor that cannot be written loses the batch (counted and
// reported) without stalling the log.
TEST(BufferedAccessLog, CountsFailedWrites) {
  Warnings warnings;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[0]);  // no reader: write(2) fails with EPIPE (SIGPIPE ignored below)
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ::sigaction(SIGPIPE, &ignore, &previous);
  {
    AccessLogOptions options;
    options.fd = pipe_fds[1];
    options.warn = warnings.callback();
    BufferedAccessLog log(options);
    log.append("lost");
    log.flush();
    EXPECT_EQ(log.stats().failed_bytes, 5u);
    EXPECT_EQ(log.stats().written_bytes, 0u);
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  ::close(pipe_fds[1]);
  const auto messages = warnings.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("write failed"), std::string::npos) << messages[0];
}

// Test that two logs used from the same threads keep their lines apart.
TEST(BufferedAccessLog, SeveralLogsOnOneThread) {
  TempLogFile a_file;
  TempLogFile b_file;
  AccessLogOptions a_options;
  a_options.fd = a_file.fd();
  AccessLogOptions b_options;
  b_options.fd = b_file.fd();
  {
    BufferedAccessLog a(a_options);
    BufferedAccessLog b(b_options);
    for (int i = 0; i < 3; ++i) {
      a.append("a" + std::to_string(i));
      b.append("b" + std::to_string(i));
    }
  }  // destruction stops and writes
  EXPECT_EQ(a_file.contents(), "a0\na1\na2\n");
  EXPECT_EQ(b_file.contents(), "b0\nb1\nb2\n");
}

// Test that batches for a pipe are cut into whole lines of at most the
// limit, so that each write(2) is atomic against other writers.
TEST(AtomicWriteLength, CutsAtLineEndsWithinTheLimit) {
  EXPECT_EQ(atomic_write_length("a\nbb\n", 16), 5u);              // all of it fits
  EXPECT_EQ(atomic_write_length("aaaa\nbbbb\ncccc\n", 12), 10u);  // two lines
  EXPECT_EQ(atomic_write_length("aaaa\nbbbb\ncccc\n", 10), 10u);  // exactly at the limit
  EXPECT_EQ(atomic_write_length("aaaaaaaaaaaa\nb\n", 8), 13u);    // one long line alone
  EXPECT_EQ(atomic_write_length("aaaaaaaaaaaa", 8), 12u);         // no line end at all
}

// Test that through a pipe every line arrives whole and in order, also
// when a batch is far larger than PIPE_BUF.
TEST(BufferedAccessLogTest, PipeGetsWholeLines) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string received;
  std::thread reader([&] {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
  });
  {
    AccessLogOptions options;
    options.fd = fds[1];
    options.poll_interval = std::chrono::hours(1);  // one big batch at flush()
    BufferedAccessLog log(options);
    for (int i = 0; i < 2000; ++i) log.append(std::string(100, static_cast<char>('a' + i % 26)));
    log.flush();
    EXPECT_EQ(log.stats().dropped, 0u);
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  std::istringstream lines(received);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    ASSERT_EQ(line, std::string(100, static_cast<char>('a' + count % 26)));
  }
  EXPECT_EQ(count, 2000);
}

}  // namespace
}  // namespace latchkey::http
