// A small pool of synchronous hiredis connections for the limiters
// (redis_limiters.h). Called on the HTTP I/O threads for every key request,
// so: short timeouts, no global lock held during a round trip (each
// connection has its own), commands pipelined, and a connection that fails
// is retried with a growing back-off instead of on every request.
//
// Thread-safety: every member is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace latchkey::limits {

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;
  std::string password;
  // The URL with any password replaced by "***": safe for logs.
  std::string redacted() const;
};
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // string, status or error text
  std::vector<RedisReply> elements;
  bool is_error() const { return type == Type::kError; }
};

struct RedisClientOptions {
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{100};
  int connections = 4;
  // Reconnection back-off after a failed connect: doubles from
  // connect_timeout up to this.
  std::chrono::milliseconds max_backoff{1000};
  // Called once when Redis becomes unreachable and once when it is back
  // (warning = true for the first).
  std::function<void(bool warning, std::string_view message)> log;
};

// A Lua script run with EVALSHA, and EVAL when the server does not know it
// (NOSCRIPT: a restarted or flushed Redis).
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;  // lowercase hex
};

class RedisClient {
 public:
  RedisClient(RedisEndpoint endpoint, RedisClientOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs `commands` pipelined on one connection (one round trip); the
  // replies in order (a Redis error is a reply of Type::kError). nullopt:
  // Redis could not be asked (down, timeout, back-off), and nothing is
  // known about whether the commands ran.
  std::optional<std::vector<RedisReply>> run(const std::vector<std::vector<std::string>>& commands);
  // One script call; nullopt as for run().
  std::optional<RedisReply> eval(const RedisScript& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args);

  // False from a failed round trip until a successful one.
  bool reachable() const { return !down_.load(); }
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  struct Connection;
  Connection& pick();
  bool ensure_connected(Connection& c);
  void mark_failed(std::string_view why);
  void mark_ok();

  const RedisEndpoint endpoint_;
  const RedisClientOptions options_;
  std::vector<std::unique_ptr<Connection>> pool_;
  std::atomic<std::uint64_t> next_{0};
  std::atomic<bool> down_{false};
};

}  // namespace latchkey::limits
