// How many connections the HTTP server keeps open (docs/security/connections.md):
// a global cap and a cap per client address, their defaults derived from the
// descriptor limit, and the table that counts open connections against them.
//
// A connection counts from the moment it is admitted until its ConnectionSlot
// is released (the session closes its socket or ends). Connections refused at
// a cap are never counted.
//
// Thread-safety: ConnectionTable is safe from any thread (one mutex, held for
// a map lookup); a ConnectionSlot is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace latchkey::http {

struct ConnectionLimits {
  std::size_t max_connections = 0;  // all clients together
  std::size_t max_per_client = 0;   // one client address (see client_key())
  // Refused connections being answered at once; beyond it a refused
  // connection is closed without an answer, so that a storm of refusals
  // cannot exhaust the descriptors kept in reserve.
  std::size_t max_refusals_in_flight = 0;
};

// Descriptors kept out of the global cap for everything that is not a client
// connection: stdio, the listener, each I/O thread's epoll/eventfd/timerfd,
// the SQLite store (a writer and readers, each with its WAL), connections
// being refused (max_refusals_in_flight), gateway connections to
// upstreams (one per proxied request in flight, plus idle pooled ones), files
// opened at start. A quarter of the limit, and never less than 256.
inline constexpr std::uint64_t kMinDescriptorReserve = 256;
inline constexpr std::uint64_t kDescriptorReserveDivisor = 4;
// The per-client default is a fraction of the global cap, so that at least
// this many clients must cooperate to fill the server...
inline constexpr std::size_t kPerClientDivisor = 8;
// ...but never below this floor (while below the global cap): one legitimate
// client often holds tens of keep-alive connections (a connection pool, a
// browser's six per host times tabs, a reverse proxy's upstream keepalive).
inline constexpr std::size_t kMinPerClient = 64;
// Refusals in flight get a quarter of the descriptors left beside the
// global cap, at least 64 and at most 65,536.
inline constexpr std::size_t kMinRefusalsInFlight = 64;
inline constexpr std::size_t kMaxRefusalsInFlight = 65'536;

// The defaults for a process whose soft RLIMIT_NOFILE is `nofile`:
//   max_connections = nofile - max(256, nofile / 4)   (at least 1)
//   max_per_client  = min(max_connections, max(max_connections / 8, 64))
//   max_refusals_in_flight = clamp((nofile - max_connections) / 4, 64, 65536)
ConnectionLimits default_connection_limits(std::uint64_t nofile);

// Configured values where non-zero, the defaults above where 0; the
// per-client cap never exceeds the global one; refusals in flight as above,
// from the global cap in force.
ConnectionLimits resolve_connection_limits(std::size_t max_connections, std::size_t max_per_client,
                                           std::uint64_t nofile);

// This process's soft RLIMIT_NOFILE (unlimited: the kernel's nr_open, else
// 1,048,576).
std::uint64_t current_nofile_limit();

// Raises this process's soft RLIMIT_NOFILE to its hard limit (unlimited: to
// nr_open), so that the caps above can be generous. latchkeyd calls it once
// at start, before any thread exists, and logs the outcome.
struct NofileRaise {
  std::uint64_t before = 0;  // soft limit found (as current_nofile_limit() reads it)
  std::uint64_t after = 0;   // soft limit now
  std::uint64_t hard = 0;    // hard limit (unlimited: nr_open)
  std::string error;         // why it could not be raised; empty on success
};
NofileRaise raise_nofile_limit();

// What a client's connections are counted under: its IPv4 address (also when
// it arrives IPv4-mapped on an IPv6 socket), or the /64 prefix of its IPv6
// address, since one IPv6 host commonly owns a whole /64. `address` is 4 or 16
// bytes in network order.
std::string client_key(std::span<const unsigned char> address);

class ConnectionTable;

// One admitted connection; releases its count when destroyed or released.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  void release();  // idempotent
  bool held() const { return table_ != nullptr; }

 private:
  friend class ConnectionTable;
  ConnectionSlot(ConnectionTable* table, std::string key) : table_(table), key_(std::move(key)) {}

  ConnectionTable* table_ = nullptr;
  std::string key_;
};

enum class ConnectionRefusal { kNone, kServerFull, kClientFull };

struct Admission {
  ConnectionRefusal refusal = ConnectionRefusal::kNone;
  ConnectionSlot slot;  // held when admitted
  bool admitted() const { return refusal == ConnectionRefusal::kNone; }
};

struct ConnectionStats {
  std::size_t open = 0;              // admitted and not yet released
  std::size_t clients = 0;           // distinct client keys among them
  std::uint64_t admitted = 0;        // since start
  std::uint64_t refused_server = 0;  // at the global cap
  std::uint64_t refused_client = 0;  // at a client's cap
  // Filled by the server, not the table:
  std::size_t refusals_in_flight = 0;    // refused connections still being answered
  std::uint64_t accept_errors = 0;       // accept() failures (EMFILE, ...) since start
  std::uint64_t refused_unanswered = 0;  // refused and closed unanswered (too many refusals)
};

class ConnectionTable {
 public:
  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Counts the connection when both caps allow it, else says which is full.
  // The global cap is checked first. An empty key counts against the global
  // cap only (a trusted proxy, whose connections carry many clients).
  Admission admit(std::string key);
  ConnectionStats stats() const;
  const ConnectionLimits& limits() const { return limits_; }

 private:
  friend class ConnectionSlot;
  void release(const std::string& key);

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> per_client_;  // guarded by mu_; no zero entries
  std::size_t open_ = 0;                                     // guarded by mu_
  std::uint64_t admitted_ = 0;                               // guarded by mu_
  std::uint64_t refused_server_ = 0;                         // guarded by mu_
  std::uint64_t refused_client_ = 0;                         // guarded by mu_
};

}  // namespace latchkey::http
