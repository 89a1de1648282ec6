// Process metrics in the Prometheus text format (GET /metrics,
// docs/metrics.md): counters, gauges and histograms, with or without labels.
//
// Every module registers what it measures in the default registry, the way
// Prometheus client libraries do, so that no constructor grows a metrics
// parameter:
//
//   static auto& rejected = metrics::default_registry().counter_family(
//       "latchkey_rate_limit_rejections_total", "Requests refused by a rate limit.", {"limit"});
//   rejected.with({"rate"}).inc();
//
// A metric registered twice under one name is the same object (its help and
// labels must agree). Recording is lock-free (relaxed atomics); looking up a
// labelled child takes a shared lock, so hot paths keep the child reference.
//
// Thread-safety: everything is safe from any thread. Metric objects live as
// long as their registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds (seconds for latencies).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum in millionths, for a lock-free add
};

// Latency buckets from 50 µs to 10 s.
const std::vector<double>& latency_buckets();

// A metric with labels: one child per distinct label-value tuple.
template <class Metric>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  // The child for these label values (as many as label names; created on
  // first use). The reference stays valid as long as the registry.
  Metric& with(std::initializer_list<std::string_view> values);
  Metric& with(const std::vector<std::string>& values);

  const std::vector<std::string>& label_names() const { return label_names_; }
  // Children in label order, for rendering.
  std::vector<std::pair<std::vector<std::string>, const Metric*>> children() const;

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;  // GUARDED_BY(mu_)
};

// One labelled value of a family read when rendered (label values in the
// family's label order).
struct LabelledValue {
  std::vector<std::string> labels;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help,
                       std::vector<double> upper_bounds = latency_buckets());
  Family<Counter>& counter_family(std::string name, std::string help,
                                  std::vector<std::string> label_names);
  Family<Gauge>& gauge_family(std::string name, std::string help,
                              std::vector<std::string> label_names);
  Family<Histogram>& histogram_family(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds = latency_buckets());
  // A gauge read when rendered, for values owned elsewhere (cache sizes,
  // buffer depth). `read` must be safe from any thread and outlive the
  // registry's use, or be removed with remove_callback(name).
  void gauge_callback(std::string name, std::string help, std::function<double()> read);
  // The same for a monotonic total owned elsewhere (a cache's hit count).
  void counter_callback(std::string name, std::string help, std::function<double()> read);
  // A labelled counter family whose children are computed when rendered,
  // for series chosen at scrape time (the top-N keys of
  // latchkey_key_requests_total). Removed with remove_callback(name).
  void counter_family_callback(std::string name, std::string help,
                               std::vector<std::string> label_names,
                               std::function<std::vector<LabelledValue>()> read);
  void remove_callback(std::string_view name);

  // Every metric, sorted by name, in the Prometheus text exposition format
  // (version 0.0.4).
  std::string render() const;

 private:
  struct Entry;
  void callback(std::string name, std::string help, std::string_view type,
                std::function<double()> read);
  Entry& entry(std::string name, std::string help, std::string_view type,
               std::vector<std::string> label_names);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;  // GUARDED_BY(mu_)
};

// The process-wide registry that /metrics renders.
Registry& default_registry();

// The Content-Type of render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace latchkey::metrics
