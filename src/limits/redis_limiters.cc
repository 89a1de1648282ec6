#include "limits/redis_limiters.h"

#include <random>
#include <vector>

#include "core/clock.h"
#include "limits/redis_client.h"

namespace latchkey::limits {
namespace {

// Every script starts by reading "now" in ms: Redis's clock (TIME; allowed
// in Redis 7 scripts, which replicate their effects) unless the node passed
// its own clock's time.
constexpr std::string_view kNow = R"lua(
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
)lua";

// KEYS[1]: the key's log. ARGV: now, limit, window (ms), member.
// The exact sliding log: an admission at t counts while now < t + window.
// Returns {admitted, admissions in the window, ms until one more is free}.
constexpr std::string_view kAdmit = R"lua(
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local admitted = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  count = count + 1
  admitted = 1
end
local reset = 0
if count > 0 then
  -- one more is free when the admission that keeps the window full leaves
  local blocking = 0
  if count >= limit then blocking = count - limit end
  local entry = redis.call('ZRANGE', KEYS[1], blocking, blocking, 'WITHSCORES')
  reset = tonumber(entry[2]) + window - now
  -- The newest admission is now and every node has the same window (60 s,
  -- not configurable), so this TTL never cuts a counted admission short.
  redis.call('PEXPIRE', KEYS[1], window)
end
return {admitted, count, reset}
)lua";

// The TTL of a leases set: until its LAST lease expires (the highest score),
// not this node's lease from now, so that a node with a shorter
// limits_lease_s never lets Redis drop a longer-lease node's live leases.
constexpr std::string_view kExpireWithLastLease = R"lua(
local function expire_with_last_lease(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('PEXPIRE', key, math.max(1, tonumber(last[2]) - now))
  end
end
)lua";

// KEYS[1]: the (key, route) leases. ARGV: now, limit, lease (ms), member.
// Expired leases (expiry <= now) are dropped first. Returns {acquired, held}.
constexpr std::string_view kAcquire = R"lua(
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if limit > 0 and count >= limit then return {0, count} end
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
expire_with_last_lease(KEYS[1])
return {1, count + 1}
)lua";

// KEYS[i]: the set holding lease ARGV[i + 2]. ARGV: now, lease (ms), leases.
// A lease still live is extended to now + lease; an expired one is gone for
// good (dropped, never revived). Returns the number renewed.
constexpr std::string_view kRenew = R"lua(
local lease = tonumber(ARGV[2])
local renewed = 0
for i = 1, #KEYS do
  local expiry = redis.call('ZSCORE', KEYS[i], ARGV[i + 2])
  if expiry then
    if tonumber(expiry) > now then
      redis.call('ZADD', KEYS[i], 'XX', now + lease, ARGV[i + 2])
      expire_with_last_lease(KEYS[i])
      renewed = renewed + 1
    else
      redis.call('ZREM', KEYS[i], ARGV[i + 2])
    end
  end
end
return renewed
)lua";

// KEYS[1]: the (key, route) leases. ARGV: now. Returns the live leases.
constexpr std::string_view kCount = R"lua(
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
)lua";

std::unique_ptr<RedisScript> script(std::string_view body) {
  return std::make_unique<RedisScript>(std::string(kNow) + std::string(body));
}

std::unique_ptr<RedisScript> leases_script(std::string_view body) {
  return std::make_unique<RedisScript>(std::string(kNow) + std::string(kExpireWithLastLease) +
                                       std::string(body));
}

std::string random_node_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = dist(rd);
  std::string id;
  for (int i = 0; i < 16; ++i, v >>= 4) id += kHex[v & 0xf];
  return id;
}

std::string now_arg(const Clock* clock) {
  return clock == nullptr ? std::string() : std::to_string(to_unix_millis(clock->now()));
}

std::chrono::seconds ceil_seconds(long long ms) {
  return std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(ms < 0 ? 0 : ms));
}

bool is_int_array(const RedisReply& r, std::size_t n) {
  if (r.type != RedisReply::Type::kArray || r.elements.size() != n) return false;
  for (const auto& e : r.elements) {
    if (e.type != RedisReply::Type::kInteger) return false;
  }
  return true;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<RedisClient> redis, RedisLimiterOptions options,
                                   std::chrono::seconds window)
    : redis_(std::move(redis)),
      options_(std::move(options)),
      window_(window),
      script_(script(kAdmit)),
      node_(random_node_id()) {}

RedisRateLimiter::~RedisRateLimiter() = default;

RateLimitState RedisRateLimiter::admit(std::string_view key, int limit) {
  RateLimitState state;
  state.limit = limit;
  if (limit <= 0) {
    state.admitted = true;
    return state;
  }
  const std::string member = node_ + ":" + std::to_string(sequence_.fetch_add(1));
  auto reply = redis_->eval(
      *script_, {options_.prefix + "rate:" + std::string(key)},
      {now_arg(options_.clock), std::to_string(limit), std::to_string(window_.count()), member});
  if (!reply || !is_int_array(*reply, 3)) {
    // Down, timed out, or an answer that makes no sense: not a decision.
    state.unavailable = true;
    return state;
  }
  const long long count = reply->elements[1].integer;
  state.admitted = reply->elements[0].integer == 1;
  state.remaining = count < limit ? static_cast<int>(limit - count) : 0;
  state.reset = ceil_seconds(reply->elements[2].integer);
  if (!state.admitted) state.retry_after = state.reset;
  return state;
}

RedisConcurrencyLimiter::RedisConcurrencyLimiter(std::shared_ptr<RedisClient> redis,
                                                 RedisLimiterOptions options,
                                                 std::chrono::milliseconds lease,
                                                 bool background_renewal)
    : redis_(std::move(redis)),
      options_(std::move(options)),
      lease_(lease),
      acquire_script_(leases_script(kAcquire)),
      renew_script_(leases_script(kRenew)),
      count_script_(script(kCount)),
      node_(random_node_id()) {
  if (background_renewal) renewer_ = std::thread([this] { renew_loop(); });
}

RedisConcurrencyLimiter::~RedisConcurrencyLimiter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

std::string RedisConcurrencyLimiter::time_arg() const { return now_arg(options_.clock); }

SlotAcquisition RedisConcurrencyLimiter::acquire(std::string_view key, int limit) {
  std::string redis_key = options_.prefix + "conc:" + std::string(key);
  std::string lease = node_ + ":" + std::to_string(sequence_.fetch_add(1));
  // Held before the round trip, so that a renewal racing with it keeps it.
  {
    std::lock_guard lock(mu_);
    held_.emplace(lease, redis_key);
  }
  auto reply =
      redis_->eval(*acquire_script_, {redis_key},
                   {time_arg(), std::to_string(limit), std::to_string(lease_.count()), lease});
  const bool answered = reply && is_int_array(*reply, 2);
  if (!answered || reply->elements[0].integer != 1) {
    std::lock_guard lock(mu_);
    held_.erase(lease);
    // Unanswered: the lease may have been added; unrenewed, it expires.
    return {answered ? SlotOutcome::kRefused : SlotOutcome::kUnavailable, Slot()};
  }
  return {SlotOutcome::kAcquired, make_slot(std::move(redis_key), std::move(lease))};
}

int RedisConcurrencyLimiter::in_use(std::string_view key) const {
  auto reply =
      redis_->eval(*count_script_, {options_.prefix + "conc:" + std::string(key)}, {time_arg()});
  if (!reply || reply->type != RedisReply::Type::kInteger) return -1;
  return static_cast<int>(reply->integer);
}

void RedisConcurrencyLimiter::release_slot(const std::string& key, const std::string& lease) {
  {
    std::lock_guard lock(mu_);
    if (crashed_) return;
    held_.erase(lease);
  }
  // If this fails the lease is no longer renewed and expires by itself.
  redis_->run({{"ZREM", key, lease}});
}

int RedisConcurrencyLimiter::renew_now() {
  std::vector<std::string> keys;
  std::vector<std::string> args{time_arg(), std::to_string(lease_.count())};
  {
    std::lock_guard lock(mu_);
    if (crashed_) return 0;
    for (const auto& [lease, key] : held_) {
      keys.push_back(key);
      args.push_back(lease);
    }
  }
  if (keys.empty()) return 0;
  auto reply = redis_->eval(*renew_script_, keys, args);
  if (!reply || reply->type != RedisReply::Type::kInteger) return -1;
  return static_cast<int>(reply->integer);
}

void RedisConcurrencyLimiter::simulate_crash() {
  std::lock_guard lock(mu_);
  crashed_ = true;
  stopping_ = true;
  held_.clear();
  wake_.notify_all();
}

void RedisConcurrencyLimiter::renew_loop() {
  const auto interval = std::max(std::chrono::milliseconds(1), lease_ / 3);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Real time, also under a test clock: the leases' expiry is checked on
    // the scripts' clock, renewing early is always safe.
    wake_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    renew_now();
    lock.lock();
  }
}

}  // namespace latchkey::limits
