#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "metrics/build_version.h"

namespace latchkey::metrics {
namespace {

// Test that the process sample sees this process: memory, threads, and a
// descriptor opened here counted.
TEST(ProcessMetrics, SampleIsSane) {
  const ProcessSample before = sample_process();
  EXPECT_GT(before.resident_bytes, 1024 * 1024);
  EXPECT_GE(before.virtual_bytes, before.resident_bytes);
  EXPECT_GE(before.threads, 1);
  EXPECT_GE(before.open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GE(before.max_fds, before.open_fds);
  EXPECT_GE(before.cpu_seconds, 0);
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sample_process().open_fds, before.open_fds + 1);
  ::close(fd);
}

// Test that the start time is in the past and after 2020.
TEST(ProcessMetrics, StartTimeIsPlausible) {
  const auto start = process_start_time_seconds();
  ASSERT_TRUE(start);
  EXPECT_GT(*start, 1'577'836'800.0);  // 2020-01-01
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*start, now + 1);
}

// Test that /metrics renders every process metric and build_info with its
// labels and the value 1.
TEST(ProcessMetrics, RendersUnderTheUsualNames) {
  Registry registry;
  register_process_metrics(registry);
  register_build_info(registry);
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds",
                           "process_threads", "process_virtual_memory_bytes"}) {
    EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name << "\n" << text;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  const BuildVersion& v = build_version();
  EXPECT_FALSE(v.version.empty());
  EXPECT_FALSE(v.commit.empty());
  EXPECT_NE(text.find("latchkey_build_info{version=\"" + std::string(v.version) + "\",commit=\"" +
                      std::string(v.commit) + "\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace latchkey::metrics
