#include "limits/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <mutex>

namespace latchkey::limits {
namespace {

using SteadyClock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : r->type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                 : RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string RedisEndpoint::redacted() const {
  std::string url = "redis://";
  if (!user.empty() || !password.empty()) url += user + (password.empty() ? "" : ":***") + "@";
  url += host + ":" + std::to_string(port);
  if (db != 0) url += "/" + std::to_string(db);
  return url;
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  auto bad = [&](std::string why) {
    return std::unexpected(Error::invalid_request(
        "limits: " + why + " (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB])"));
  };
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return bad("not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint e;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) {
      e.user = std::string(auth.substr(0, colon));
      e.password = std::string(auth.substr(colon + 1));
    } else {
      e.password = std::string(auth);  // redis://PASSWORD@HOST, as redis-cli -u reads it
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!parse_int(db, e.db) || e.db < 0)) return bad("bad database number");
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), e.port) || e.port <= 0 || e.port > 65535) {
      return bad("bad port");
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad("no host");
  e.host = std::string(rest);
  return e;
}

RedisScript::RedisScript(std::string src) : source(std::move(src)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    sha1 += kHex[b >> 4];
    sha1 += kHex[b & 0xf];
  }
}

struct RedisClient::Connection {
  std::mutex mu;  // held for a whole round trip on this connection only
  redisContext* ctx = nullptr;
  SteadyClock::time_point next_attempt{};
  std::chrono::milliseconds backoff{0};
  ~Connection() {
    if (ctx != nullptr) redisFree(ctx);
  }
};

RedisClient::RedisClient(RedisEndpoint endpoint, RedisClientOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
  const int n = std::max(1, options_.connections);
  for (int i = 0; i < n; ++i) pool_.push_back(std::make_unique<Connection>());
}

RedisClient::~RedisClient() = default;

RedisClient::Connection& RedisClient::pick() {
  // The first idle connection from a rotating start; if all are busy, wait
  // for one (its round trip is bounded by the command timeout).
  const std::size_t start = next_.fetch_add(1, std::memory_order_relaxed) % pool_.size();
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    Connection& c = *pool_[(start + i) % pool_.size()];
    if (c.mu.try_lock()) return c;
  }
  Connection& c = *pool_[start];
  c.mu.lock();
  return c;
}

bool RedisClient::ensure_connected(Connection& c) {
  if (c.ctx != nullptr) return true;
  const auto now = SteadyClock::now();
  if (now < c.next_attempt) return false;  // backing off: fail fast
  auto fail = [&](std::string why) {
    if (c.ctx != nullptr) {
      redisFree(c.ctx);
      c.ctx = nullptr;
    }
    c.backoff = std::min(options_.max_backoff, std::max(options_.connect_timeout, c.backoff * 2));
    c.next_attempt = SteadyClock::now() + c.backoff;
    mark_failed(why);
    return false;
  };
  c.ctx = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                  to_timeval(options_.connect_timeout));
  if (c.ctx == nullptr) return fail("out of memory");
  if (c.ctx->err != 0) return fail(c.ctx->errstr);
  if (redisSetTimeout(c.ctx, to_timeval(options_.command_timeout)) != REDIS_OK) {
    return fail("cannot set the command timeout");
  }
  std::vector<std::vector<std::string>> setup;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      setup.push_back({"AUTH", endpoint_.password});
    } else {
      setup.push_back({"AUTH", endpoint_.user, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) setup.push_back({"SELECT", std::to_string(endpoint_.db)});
  for (const auto& cmd : setup) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(c.ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (reply == nullptr) return fail(c.ctx->errstr);
    const bool error = reply->type == REDIS_REPLY_ERROR;
    // Never the password: only the command's name and Redis's answer.
    std::string why = error ? cmd[0] + " failed: " + std::string(reply->str, reply->len) : "";
    freeReplyObject(reply);
    if (error) return fail(why);
  }
  c.backoff = std::chrono::milliseconds(0);
  return true;
}

void RedisClient::mark_failed(std::string_view why) {
  if (!down_.exchange(true) && options_.log) {
    options_.log(true, "limits: Redis at " + endpoint_.redacted() + " is unreachable (" +
                           std::string(why) +
                           "); requests that need a limit decision are answered as configured "
                           "by limits_fail_open until it is back");
  }
}

void RedisClient::mark_ok() {
  if (down_.load(std::memory_order_relaxed) && down_.exchange(false) && options_.log) {
    options_.log(false, "limits: Redis at " + endpoint_.redacted() + " is reachable again");
  }
}

std::optional<std::vector<RedisReply>> RedisClient::run(
    const std::vector<std::vector<std::string>>& commands) {
  Connection& c = pick();
  std::lock_guard lock(c.mu, std::adopt_lock);
  if (!ensure_connected(c)) return std::nullopt;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c.ctx, static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c.ctx, &raw) != REDIS_OK || raw == nullptr) {
      // A timeout or a broken connection: its state is unknown, drop it;
      // the next call reconnects at once (then backs off if that fails).
      std::string why = c.ctx->errstr[0] != '\0' ? c.ctx->errstr : "no reply";
      redisFree(c.ctx);
      c.ctx = nullptr;
      mark_failed(why);
      return std::nullopt;
    }
    replies.push_back(convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  mark_ok();
  return replies;
}

std::optional<RedisReply> RedisClient::eval(const RedisScript& script,
                                            const std::vector<std::string>& keys,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> cmd{"EVALSHA", script.sha1, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto replies = run({cmd});
  if (!replies) return std::nullopt;
  RedisReply reply = std::move(replies->front());
  if (reply.is_error() && reply.str.starts_with("NOSCRIPT")) {
    cmd[0] = "EVAL";
    cmd[1] = script.source;
    replies = run({cmd});
    if (!replies) return std::nullopt;
    reply = std::move(replies->front());
  }
  return reply;
}

}  // namespace latchkey::limits
