// SIGHUP reload (docs/operations.md): re-read the configuration, validate all
// of it, then apply what can change while serving — the router (gateway
// routes, nginx route rules), the per-key limits, the log level — each as
// one atomic swap, and say which changed settings need a restart.
//
// Thread-safety: Reloader::reload() from one thread at a time (latchkeyd's
// signal thread); what it swaps is read by the I/O threads with one atomic
// load (http/router_source.h, ReloadableLimitPolicy).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "core/error.h"
#include "http/router.h"
#include "limits/limit_policy.h"
#include "server/config.h"
#include "server/config_diff.h"

namespace latchkey::server {

// The one place the log level is applied, at start-up and on reload.
void apply_log_level(const Config& config);

// The router of `config`: the API's routes over a copy of `base` (its
// route_rules replaced by the configured ones) and the configured gateway
// routes. The returned router owns what its handlers refer to; the services
// `base` points at must outlive it.
Result<std::shared_ptr<const http::Router>> build_configured_router(const api::ApiContext& base,
                                                                    const Config& config);

// The per-key limit policy of `config` (rate_limit_per_minute,
// concurrency_per_route, [[role_limits]]) over the keys' own overrides.
std::shared_ptr<const limits::ConfiguredLimitPolicy> make_limit_policy(
    const Config& config, limits::KeyOverrideLookup key_overrides);

// A LimitPolicy whose configured part can be replaced while serving.
class ReloadableLimitPolicy final : public limits::LimitPolicy {
 public:
  explicit ReloadableLimitPolicy(std::shared_ptr<const limits::ConfiguredLimitPolicy> initial)
      : current_(std::move(initial)) {}
  void replace(std::shared_ptr<const limits::ConfiguredLimitPolicy> next) {
    current_.store(std::move(next), std::memory_order_release);
  }
  limits::KeyLimits for_key(std::string_view key_id, std::string_view role_id) const override {
    return current_.load(std::memory_order_acquire)->for_key(key_id, role_id);
  }

 private:
  std::atomic<std::shared_ptr<const limits::ConfiguredLimitPolicy>> current_;
};

struct ReloadOutcome {
  bool applied = false;  // false: the new configuration was refused, nothing changed
  std::string error;     // why it was refused
  ConfigDiff diff;       // what changed (when applied)
};

class Reloader {
 public:
  // Loads the configuration again (the file, the environment, the flags).
  using Load = std::function<Result<Config>()>;
  // Applies the reloadable settings of a validated configuration. Builds
  // everything first and swaps last: an error here leaves all as it was.
  using Apply = std::function<Status(const Config& next, const ConfigDiff& diff)>;
  using Log = std::function<void(bool warning, const std::string& line)>;

  Reloader(Config running, Load load, Apply apply, Log log);

  // One reload; logs what it did (and returns it, for tests).
  ReloadOutcome reload();
  const Config& running() const { return running_; }

 private:
  Config running_;
  Load load_;
  Apply apply_;
  Log log_;
};

}  // namespace latchkey::server
