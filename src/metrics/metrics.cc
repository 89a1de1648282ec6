#include "metrics/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <variant>

namespace latchkey::metrics {
namespace {

// Label values are escaped as the exposition format asks: \\, \" and \n.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

std::string labels_text(const std::vector<std::string>& names,
                        const std::vector<std::string>& values, std::string_view extra_name = {},
                        std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)),
                          std::memory_order_relaxed);
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative_counts.push_back(running);
  }
  s.count = running;
  s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> buckets{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                           0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                           0.5,     1,      2.5,     5,      10};
  return buckets;
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: wrong number of label values");
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = children_[values];
  if (!slot) slot = make_();
  return *slot;
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (auto v : values) key.emplace_back(v);
  return with(key);
}

template <class Metric>
std::vector<std::pair<std::vector<std::string>, const Metric*>> Family<Metric>::children() const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<std::vector<std::string>, const Metric*>> out;
  out.reserve(children_.size());
  for (const auto& [labels, metric] : children_) out.emplace_back(labels, metric.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string type;  // "counter", "gauge", "histogram"
  std::vector<std::string> label_names;
  std::variant<std::monostate, std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>, std::function<double()>,
               std::function<std::vector<LabelledValue>()>>
      metric;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::entry(std::string name, std::string help, std::string_view type,
                                 std::vector<std::string> label_names) {
  auto& slot = entries_[name];
  if (!slot) {
    slot = std::make_unique<Entry>(
        Entry{std::move(name), std::move(help), std::string(type), std::move(label_names), {}});
  } else if (slot->type != type || slot->label_names != label_names) {
    throw std::invalid_argument("metrics: " + slot->name + " registered twice with different " +
                                "type or labels");
  }
  return *slot;
}

Family<Counter>& Registry::counter_family(std::string name, std::string help,
                                          std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = entry(std::move(name), std::move(help), "counter", std::move(label_names));
  if (std::holds_alternative<std::monostate>(e.metric)) {
    e.metric = std::make_unique<Family<Counter>>(e.label_names,
                                                 [] { return std::make_unique<Counter>(); });
  }
  return *std::get<std::unique_ptr<Family<Counter>>>(e.metric);
}

Family<Gauge>& Registry::gauge_family(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = entry(std::move(name), std::move(help), "gauge", std::move(label_names));
  if (std::holds_alternative<std::monostate>(e.metric)) {
    e.metric =
        std::make_unique<Family<Gauge>>(e.label_names, [] { return std::make_unique<Gauge>(); });
  }
  return *std::get<std::unique_ptr<Family<Gauge>>>(e.metric);
}

Family<Histogram>& Registry::histogram_family(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> upper_bounds) {
  std::lock_guard lock(mu_);
  Entry& e = entry(std::move(name), std::move(help), "histogram", std::move(label_names));
  if (std::holds_alternative<std::monostate>(e.metric)) {
    e.metric = std::make_unique<Family<Histogram>>(
        e.label_names,
        [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
  }
  return *std::get<std::unique_ptr<Family<Histogram>>>(e.metric);
}

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}).with({});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}).with({});
}

Histogram& Registry::histogram(std::string name, std::string help,
                               std::vector<double> upper_bounds) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(upper_bounds)).with({});
}

void Registry::callback(std::string name, std::string help, std::string_view type,
                        std::function<double()> read) {
  std::lock_guard lock(mu_);
  auto& slot = entries_[name];
  // Replacing a family would free children that hot paths still hold.
  if (slot && !std::holds_alternative<std::function<double()>>(slot->metric)) {
    throw std::invalid_argument("metrics: " + slot->name + " is not a callback metric");
  }
  slot = std::make_unique<Entry>(
      Entry{std::move(name), std::move(help), std::string(type), {}, std::move(read)});
}

void Registry::gauge_callback(std::string name, std::string help, std::function<double()> read) {
  callback(std::move(name), std::move(help), "gauge", std::move(read));
}

void Registry::counter_callback(std::string name, std::string help, std::function<double()> read) {
  callback(std::move(name), std::move(help), "counter", std::move(read));
}

void Registry::counter_family_callback(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::function<std::vector<LabelledValue>()> read) {
  std::lock_guard lock(mu_);
  auto& slot = entries_[name];
  if (slot && !std::holds_alternative<std::function<std::vector<LabelledValue>()>>(slot->metric)) {
    throw std::invalid_argument("metrics: " + slot->name + " is not a callback metric");
  }
  slot = std::make_unique<Entry>(
      Entry{std::move(name), std::move(help), "counter", std::move(label_names), std::move(read)});
}

void Registry::remove_callback(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name);
      it != entries_.end() &&
      (std::holds_alternative<std::function<double()>>(it->second->metric) ||
       std::holds_alternative<std::function<std::vector<LabelledValue>()>>(it->second->metric))) {
    entries_.erase(it);
  }
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  auto header = [&out](const Entry& e) {
    out += "# HELP " + e.name + " ";
    for (char c : e.help) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    out += "\n# TYPE " + e.name + " " + e.type + "\n";
  };
  for (const auto& [name, e] : entries_) {
    header(*e);
    if (const auto* c = std::get_if<std::unique_ptr<Family<Counter>>>(&e->metric)) {
      for (const auto& [labels, m] : (*c)->children()) {
        fmt::format_to(std::back_inserter(out), "{}{} {}\n", name,
                       labels_text(e->label_names, labels), m->value());
      }
    } else if (const auto* g = std::get_if<std::unique_ptr<Family<Gauge>>>(&e->metric)) {
      for (const auto& [labels, m] : (*g)->children()) {
        fmt::format_to(std::back_inserter(out), "{}{} {}\n", name,
                       labels_text(e->label_names, labels), m->value());
      }
    } else if (const auto* h = std::get_if<std::unique_ptr<Family<Histogram>>>(&e->metric)) {
      for (const auto& [labels, m] : (*h)->children()) {
        const auto s = m->snapshot();
        for (std::size_t i = 0; i <= s.upper_bounds.size(); ++i) {
          const double le = i < s.upper_bounds.size() ? s.upper_bounds[i] : INFINITY;
          fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", name,
                         labels_text(e->label_names, labels, "le", number(le)),
                         s.cumulative_counts[i]);
        }
        const auto l = labels_text(e->label_names, labels);
        fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n{}_count{} {}\n", name, l,
                       number(s.sum), name, l, s.count);
      }
    } else if (const auto* f = std::get_if<std::function<double()>>(&e->metric)) {
      fmt::format_to(std::back_inserter(out), "{} {}\n", name, number((*f)()));
    } else if (const auto* read =
                   std::get_if<std::function<std::vector<LabelledValue>()>>(&e->metric)) {
      for (const LabelledValue& v : (*read)()) {
        if (v.labels.size() != e->label_names.size()) continue;  // a reader's bug: skip it
        fmt::format_to(std::back_inserter(out), "{}{} {}\n", name,
                       labels_text(e->label_names, v.labels), number(v.value));
      }
    }
  }
  return out;
}

Registry& default_registry() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

}  // namespace latchkey::metrics
