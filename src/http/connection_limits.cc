#include "http/connection_limits.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

namespace latchkey::http {
namespace {

// When RLIMIT_NOFILE is unlimited and /proc/sys/fs/nr_open cannot be read.
constexpr std::uint64_t kAssumedNrOpen = 1'048'576;

// The most descriptors a Linux process may have: what "unlimited" means.
std::uint64_t nr_open() {
  std::uint64_t value = 0;
  std::ifstream("/proc/sys/fs/nr_open") >> value;
  return value > 0 ? value : kAssumedNrOpen;
}

std::size_t to_size(std::uint64_t n) {
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(n, std::numeric_limits<std::size_t>::max()));
}

std::size_t refusals_in_flight(std::uint64_t nofile, std::size_t max_connections) {
  const std::uint64_t left = nofile > max_connections ? nofile - max_connections : 0;
  return to_size(std::clamp<std::uint64_t>(left / 4, kMinRefusalsInFlight, kMaxRefusalsInFlight));
}

}  // namespace

ConnectionLimits default_connection_limits(std::uint64_t nofile) {
  const std::uint64_t reserve = std::max(kMinDescriptorReserve, nofile / kDescriptorReserveDivisor);
  ConnectionLimits limits;
  limits.max_connections = to_size(nofile > reserve ? nofile - reserve : 1);
  limits.max_per_client = std::min(
      limits.max_connections, std::max(limits.max_connections / kPerClientDivisor, kMinPerClient));
  limits.max_refusals_in_flight = refusals_in_flight(nofile, limits.max_connections);
  return limits;
}

ConnectionLimits resolve_connection_limits(std::size_t max_connections, std::size_t max_per_client,
                                           std::uint64_t nofile) {
  const ConnectionLimits defaults = default_connection_limits(nofile);
  ConnectionLimits limits;
  limits.max_connections = max_connections != 0 ? max_connections : defaults.max_connections;
  if (max_per_client != 0) {
    limits.max_per_client = max_per_client;
  } else if (max_connections != 0) {
    // A configured global cap: the same rule as the defaults, applied to it.
    limits.max_per_client = std::max(max_connections / kPerClientDivisor, kMinPerClient);
  } else {
    limits.max_per_client = defaults.max_per_client;
  }
  limits.max_per_client = std::min(limits.max_per_client, limits.max_connections);
  limits.max_refusals_in_flight = refusals_in_flight(nofile, limits.max_connections);
  return limits;
}

std::uint64_t current_nofile_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;  // the usual default soft limit
  return limit.rlim_cur != RLIM_INFINITY ? limit.rlim_cur : nr_open();
}

NofileRaise raise_nofile_limit() {
  NofileRaise out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    out.before = out.after = current_nofile_limit();
    return out;
  }
  const auto finite = [](rlim_t value) {
    return value == RLIM_INFINITY ? nr_open() : static_cast<std::uint64_t>(value);
  };
  out.before = finite(limit.rlim_cur);
  out.hard = finite(limit.rlim_max);
  out.after = out.before;
  if (out.before >= out.hard) return out;
  // Linux refuses a soft limit above nr_open, even an "unlimited" one.
  limit.rlim_cur = static_cast<rlim_t>(out.hard);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.after = current_nofile_limit();
  return out;
}

std::string client_key(std::span<const unsigned char> address) {
  static constexpr unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const auto bytes = [](std::span<const unsigned char> b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  };
  if (address.size() == 16 &&
      std::equal(std::begin(kV4Mapped), std::end(kV4Mapped), address.begin())) {
    address = address.subspan(12);
  }
  if (address.size() == 4) return "4" + bytes(address);
  return "6" + bytes(address.first(std::min<std::size_t>(8, address.size())));
}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)), key_(std::move(other.key_)) {}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    table_ = std::exchange(other.table_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

void ConnectionSlot::release() {
  if (table_ == nullptr) return;
  std::exchange(table_, nullptr)->release(key_);
}

Admission ConnectionTable::admit(std::string key) {
  Admission admission;
  std::lock_guard lock(mu_);
  if (open_ >= limits_.max_connections) {
    ++refused_server_;
    admission.refusal = ConnectionRefusal::kServerFull;
    return admission;
  }
  if (key.empty()) {
    ++open_;
    ++admitted_;
    admission.slot = ConnectionSlot(this, std::move(key));
    return admission;
  }
  auto [it, inserted] = per_client_.try_emplace(key, 0);
  if (it->second >= limits_.max_per_client) {
    if (inserted) per_client_.erase(it);  // a cap of 0: no zero entries stay
    ++refused_client_;
    admission.refusal = ConnectionRefusal::kClientFull;
    return admission;
  }
  ++it->second;
  ++open_;
  ++admitted_;
  admission.slot = ConnectionSlot(this, std::move(key));
  return admission;
}

void ConnectionTable::release(const std::string& key) {
  std::lock_guard lock(mu_);
  if (key.empty()) {
    --open_;
    return;
  }
  const auto it = per_client_.find(key);
  if (it == per_client_.end()) return;  // cannot happen: every slot was admitted here
  if (--it->second == 0) per_client_.erase(it);
  --open_;
}

ConnectionStats ConnectionTable::stats() const {
  std::lock_guard lock(mu_);
  return {open_, per_client_.size(), admitted_, refused_server_, refused_client_};
}

}  // namespace latchkey::http
