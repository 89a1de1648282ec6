// The process's own metrics on /metrics (docs/metrics.md), under the names
// every Prometheus client library uses: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds and
// process_threads. Read from /proc and getrusage/getrlimit when rendered
// (a few system calls per scrape, nothing on the request path).
//
// And latchkey_build_info{version,commit,build_type,compiler} 1: what
// binary answers (the values come from the build, metrics/build_version.h).
//
// Thread-safety: call register_* once at start; rendering is thread-safe.
#pragma once

#include <optional>

#include "metrics/metrics.h"

namespace latchkey::metrics {

struct ProcessSample {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double threads = 0;
};

// The values now (Linux). Fields that cannot be read are 0.
ProcessSample sample_process();
// Seconds since the Unix epoch at which this process started (from
// /proc/self/stat and the boot time in /proc/stat); nullopt if unreadable.
std::optional<double> process_start_time_seconds();

void register_process_metrics(Registry& registry);
void register_build_info(Registry& registry);

}  // namespace latchkey::metrics
