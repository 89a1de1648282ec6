#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "metrics/build_version.h"

namespace latchkey::metrics {
namespace {

// The fields of /proc/self/stat after the command name (which may hold
// spaces and parentheses: everything up to the last ')' is skipped).
// fields[0] is field 3 (state) of proc(5).
std::vector<std::string> self_stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double field_number(const std::vector<std::string>& fields, std::size_t proc_field) {
  const std::size_t at = proc_field - 3;
  if (at >= fields.size()) return 0;
  try {
    return std::stod(fields[at]);
  } catch (...) {
    return 0;
  }
}

double count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // not the descriptor that reads the directory
}

}  // namespace

ProcessSample sample_process() {
  ProcessSample s;
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    s.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  const auto fields = self_stat_fields();
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  s.threads = field_number(fields, 20);                // num_threads
  s.virtual_bytes = field_number(fields, 23);          // vsize, bytes
  s.resident_bytes = field_number(fields, 24) * page;  // rss, pages
  s.open_fds = count_open_fds();
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    s.max_fds = nofile.rlim_cur == RLIM_INFINITY ? 0 : static_cast<double>(nofile.rlim_cur);
  }
  return s;
}

std::optional<double> process_start_time_seconds() {
  const double ticks = field_number(self_stat_fields(), 22);  // starttime, clock ticks since boot
  std::ifstream stat("/proc/stat");
  double boot = 0;
  for (std::string line; std::getline(stat, line);) {
    if (line.starts_with("btime ")) boot = std::stod(line.substr(6));
  }
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (ticks <= 0 || boot <= 0 || hz <= 0) return std::nullopt;
  return boot + ticks / static_cast<double>(hz);
}

void register_process_metrics(Registry& registry) {
  registry.counter_callback("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.",
                            [] { return sample_process().cpu_seconds; });
  registry.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                          [] { return sample_process().resident_bytes; });
  registry.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                          [] { return sample_process().virtual_bytes; });
  registry.gauge_callback("process_open_fds", "Number of open file descriptors.",
                          [] { return sample_process().open_fds; });
  registry.gauge_callback("process_max_fds",
                          "Maximum number of open file descriptors (the soft RLIMIT_NOFILE).",
                          [] { return sample_process().max_fds; });
  registry.gauge_callback("process_threads", "Number of OS threads in the process.",
                          [] { return sample_process().threads; });
  if (const auto start = process_start_time_seconds()) {
    registry.gauge_callback("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.",
                            [value = *start] { return value; });
  }
}

void register_build_info(Registry& registry) {
  const BuildVersion& v = build_version();
  registry
      .gauge_family("latchkey_build_info",
                    "Always 1; the labels say which build of latchkeyd answers.",
                    {"version", "commit", "build_type", "compiler"})
      .with({v.version, v.commit, v.build_type, v.compiler})
      .set(1);
}

}  // namespace latchkey::metrics
