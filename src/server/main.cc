// latchkeyd: wires the real clock, randomness, store and services together,
// serves HTTP until SIGINT/SIGTERM, then drains and exits 0. SIGHUP reloads
// the configuration (server/reload.h, docs/operations.md).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "accounts/client_authenticator.h"
#include "accounts/user_service.h"
#include "api/key_authority.h"
#include "api/oauth_handlers.h"
#include "api/routes.h"
#include "audit/buffered_audit_log.h"
#include "authz/permission_service.h"
#include "console_auth/console_auth_service.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/crash_points.h"
#include "core/random.h"
#include "gateway/gateway.h"
#include "http/access_log.h"
#include "http/server.h"
#include "keys/key_service.h"
#include "keys/last_used_flusher.h"
#include "keys/lifecycle_scan.h"
#include "limits/limit_policy.h"
#include "limits/limits.h"
#include "limits/make_limiters.h"
#include "metrics/metrics.h"
#include "metrics/process_metrics.h"
#include "pipeline/route_rules.h"
#include "server/bootstrap.h"
#include "server/config.h"
#include "server/connection_metrics.h"
#include "server/data_dir.h"
#include "server/invalidation_wiring.h"
#include "server/logging.h"
#include "server/recover_admin.h"
#include "server/reload.h"
#include "server/request_metrics.h"
#include "server/service_metrics.h"
#include "server/webhook_wiring.h"
#include "store/audit_store.h"
#include "store/faulty_store.h"
#include "store/open_store.h"
#include "store/store.h"
#include "tokens/account_token_cache.h"
#include "tokens/account_token_service.h"
#include "tokens/jwt_service.h"
#include "usage/usage_counter.h"
#include "usage/usage_flusher.h"
#include "usage/usage_metrics.h"
#include "usage/usage_service.h"

namespace latchkey::server {
namespace {

int fatal(const std::string& message) {
  write_log_line("error", message);  // server/logging.h: in the chosen format
  return 1;
}

// Forgets tombstones once an hour until stopped; also runs `more` (JWT
// signing-key rotation and pruning) each time.
class Maintenance {
 public:
  explicit Maintenance(AccountTokenService& tokens, std::function<void()> more = {})
      : thread_([this, &tokens, more = std::move(more)] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::hours(1), [this] { return stop_; })) {
            lock.unlock();
            if (auto n = tokens.prune(); !n)
              spdlog::warn("tombstone pruning failed: {}", n.error().description);
            if (more) more();
            lock.lock();
          }
        }) {}
  ~Maintenance() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

int run(int argc, char** argv) {
  // Everything latchkeyd creates (database, WAL, lock, bootstrap file) is
  // private to its user, even in a data directory created by someone else.
  ::umask(077);
  // A SIGHUP before the signal thread waits for it must not kill the
  // process (its default action): ignored until blocked below.
  signal(SIGHUP, SIG_IGN);
  // Until the configuration is read, errors use the format the command line
  // or the environment asks for (docs/logging.md).
  set_log_format(resolve_log_format(log_format_hint(argc, argv), ::isatty(STDERR_FILENO) != 0));
  auto parsed = load_config(argc, argv);
  if (!parsed) return fatal(parsed.error().description) + 1;
  if (parsed->exit_now) {
    if (!parsed->error.empty()) write_log_line("error", parsed->error);
    return parsed->exit_code;
  }
  const Config& config = parsed->config;
  if (parsed->recover_admin) {
    const std::string url =
        !config.public_url.empty()
            ? config.public_url
            : (config.tls_cert.empty() ? "http://" : "https://") + config.listen;
    return run_recover_admin({config.data_dir, config.bootstrap_file, url, config.store}, stdout,
                             stderr);
  }

  // Signals are taken by a dedicated thread (sigwait), so block them before any
  // thread exists (spdlog's included): every later thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reload, never the default "terminate"
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGHUP, SIG_DFL);  // blocked now: kept pending for sigwait, not discarded
  signal(SIGPIPE, SIG_IGN);

  const LogFormat log_format = resolve_log_format(config.log_format, ::isatty(STDERR_FILENO) != 0);
  configure_logging(log_format, config.log_level);
  // Descriptors bound how many clients can connect: take all the hard limit
  // allows, before the store and the server open any (connection caps are
  // derived from the result, docs/security/connections.md).
  if (const http::NofileRaise nofile = http::raise_nofile_limit(); !nofile.error.empty()) {
    spdlog::warn("cannot raise the file descriptor limit (RLIMIT_NOFILE) from {} to {}: {}",
                 nofile.before, nofile.hard, nofile.error);
  } else if (nofile.after != nofile.before) {
    spdlog::info("file descriptor limit (RLIMIT_NOFILE) raised from {} to {} (the hard limit)",
                 nofile.before, nofile.after);
  } else {
    spdlog::info("file descriptor limit (RLIMIT_NOFILE): {} (the hard limit)", nofile.after);
  }
  // The access log: stderr, the logger's format. Each I/O thread appends to a
  // ring of its own, without a lock; a background thread writes what they
  // hold in batches (one write(2) each), so no I/O thread ever waits for a
  // write. Lines are dropped and counted rather than wait when it falls
  // behind. The server flushes it as it stops.
  http::AccessLogOptions access_log_options;
  access_log_options.fd = STDERR_FILENO;
  access_log_options.warn = [](std::string_view message) { spdlog::warn("{}", message); };
  const auto access_log = std::make_shared<http::BufferedAccessLog>(std::move(access_log_options));

  SystemClock system_clock;
  AdjustableClock test_clock;
  const Clock& clock = config.insecure_test_clock ? static_cast<const Clock&>(test_clock)
                                                  : static_cast<const Clock&>(system_clock);
  if (config.insecure_test_clock) {
    spdlog::warn("--insecure-test-clock is on: anyone can move this server's clock. Tests only.");
  }
  OsRandom random;

  // With PostgreSQL (docs/postgresql.md) the data directory holds nothing
  // and is neither created nor checked.
  if (config.store.empty()) {
    if (const std::string warning = data_dir_permission_warning(config.data_dir);
        !warning.empty()) {
      spdlog::warn("WARNING: {}", warning);
    }
  }
  auto store = open_store(config.store, {.data_dir = config.data_dir,
                                         .pool_size = static_cast<int>(config.store_pool_size)});
  if (!store) return fatal("cannot open the store: " + store.error().description);
  // Fault injection (docs/security/faults.md): only with the test-only flag.
  std::shared_ptr<FaultInjector> test_faults;
  if (config.insecure_test_faults) {
    spdlog::warn(
        "--insecure-test-faults is on: anyone can make this server's writes fail. "
        "Tests only.");
    test_faults = std::make_shared<FaultInjector>();
    *store = make_faulty_store(std::move(*store), test_faults);
  }

  AccountTokenCache token_cache;
  AccountTokenOptions token_options;
  token_options.lifetime = std::chrono::seconds(config.account_token_ttl_seconds);
  token_options.interference.threshold = static_cast<int>(config.token_interference_threshold);
  AccountTokenService account_tokens(**store, token_cache, clock, random, token_options);
  ClientAuthenticator client_authenticator(**store, clock);  // previous secrets lapse by `clock`
  // Set once the JWT service exists (below), before the server starts.
  std::atomic<JwtService*> jwt_user_hook{nullptr};
  // The permission model (seed 001, docs/permissions.md): effective
  // permissions cached in memory, dropped on every change to a user.
  authz::PermissionService permissions(**store, clock, random, config.extra_modules);
  // Every cache that holds a user, dropped after a change to the user: here
  // (also when another node tells of a change), then on the other nodes.
  const std::function<void(std::string_view)> forget_user_here =
      [&client_authenticator, &account_tokens, &jwt_user_hook, &permissions](std::string_view id) {
        client_authenticator.forget_user(id);
        account_tokens.forget_user(id);
        permissions.on_user_changed(id);
        if (JwtService* jwts = jwt_user_hook.load()) jwts->forget_user(id);
      };
  std::atomic<Invalidation*> invalidation_hook{nullptr};  // set below, before serving
  const std::function<void(std::string_view)> forget_user =
      [&forget_user_here, &invalidation_hook](std::string_view id) {
        forget_user_here(id);
        if (Invalidation* invalidation = invalidation_hook.load()) invalidation->user_changed(id);
      };
  UserService users(**store, clock, random, forget_user);

  // The audit trail (docs/audit.md): buffered, stored in batches by a
  // background flusher; flushed after the HTTP server has drained.
  BufferedAuditLogOptions audit_options;
  audit_options.capacity = static_cast<std::size_t>(config.audit_buffer_size);
  audit_options.flush_interval = std::chrono::milliseconds(config.audit_flush_interval_ms);
  audit_options.warn = [](std::string_view message) { spdlog::warn("{}", message); };
  BufferedAuditLog audit_log((*store)->audit(), clock, audit_options);
  // API keys (docs/api-keys.md): every key in memory, so that key checks
  // do not read the store; last-used times are written in batches.
  keys::KeyServiceOptions key_options;
  key_options.max_validity_days = static_cast<int>(config.key_max_validity_days);
  key_options.expiry_warning = std::chrono::hours(24 * config.key_expiring_soon_days);
  keys::KeyService key_service((*store)->keys(), clock, random, key_options);
  if (auto loaded = key_service.load(); !loaded) {
    return fatal("cannot load API keys: " + loaded.error().description);
  }
  // JWTs from API keys (docs/jwt.md): seeds 003/004 exchanges, sessions,
  // signing keys (loaded from the store, rotated periodically).
  api::KeyServiceAuthority key_authority(key_service, **store, clock);
  JwtOptions jwt_options;
  jwt_options.issuer = config.jwt_issuer;
  jwt_options.audience = config.jwt_audience;
  jwt_options.login_token_ttl = std::chrono::seconds(config.key_login_token_ttl_seconds);
  jwt_options.access_token_ttl = std::chrono::seconds(config.key_access_token_ttl_seconds);
  jwt_options.rotation_period = std::chrono::hours(24 * config.signing_key_rotation_days);
  jwt_options.oauth_access_token_ttl = std::chrono::seconds(config.oauth_access_token_ttl_seconds);
  auto jwt_service = JwtService::create(**store, key_authority, clock, random, jwt_options);
  if (!jwt_service)
    return fatal("cannot load JWT signing keys: " + jwt_service.error().description);
  jwt_user_hook.store(jwt_service->get());
  key_service.add_deactivation_listener(
      [jwts = jwt_service->get()](const ApiKey& key) { jwts->forget_key(key.id); });
  // A key's allowed origins travel in its tokens' cached principals.
  key_service.add_change_listener(
      [jwts = jwt_service->get()](const ApiKey& key) { jwts->forget_key(key.id); });
  // Cross-node invalidation (docs/operations.md): in-process for the
  // embedded store; LISTEN/NOTIFY on a shared PostgreSQL store.
  auto invalidation = Invalidation::create(config.store,
                                           {client_authenticator, account_tokens, permissions,
                                            key_service, **jwt_service, forget_user_here},
                                           random, [](bool warning, std::string_view line) {
                                             if (warning) {
                                               spdlog::warn("{}", line);
                                             } else {
                                               spdlog::info("{}", line);
                                             }
                                           });
  invalidation_hook.store(invalidation.get());
  spdlog::info("invalidation: {}", invalidation->bus().describe());
  api::ApiContext ctx{**store,        clock, client_authenticator,
                      account_tokens, users, config.insecure_test_clock ? &test_clock : nullptr};
  ctx.test_faults = test_faults.get();
  ctx.audit = &audit_log;
  ctx.keys = &key_service;
  ctx.jwts = jwt_service->get();
  ctx.permissions = &permissions;
  ctx.invalidation = &invalidation->bus();
  // seed 004: a key's role must be one its owner holds.
  key_service.set_role_membership(
      [&ctx](std::string_view user_id, std::string_view role_id) -> Result<bool> {
        if (ctx.permissions == nullptr) return true;  // no permission model: shape check only
        return ctx.permissions->is_member(user_id, role_id);
      });
  // ctx.route_rules: set per router (build_configured_router), reloadable.
  // OAuth 2.0 endpoints (docs/oauth.md): the base URL of the RFC 8414 metadata.
  const api::OAuthOptions oauth_options{config.public_url, !config.tls_cert.empty()};
  ctx.oauth = &oauth_options;
  // The web console's sign-in (docs/console.md); the API explorer's tokens
  // end with their session.
  console_auth::ConsoleAuthService console_auth(**store, clock, random);
  console_auth.set_token_revoker([jwts = jwt_service->get()](const ConsoleSessionToken& t) {
    if (auto s = jwts->revoke_token_id(t.token_id, t.user_id, t.expires_at); !s) {
      spdlog::warn("revoking a console session's token failed: {}", s.error().description);
    }
  });
  ctx.console_auth = &console_auth;
  // Webhooks (docs/webhooks.md): events go to the durable outbox and a
  // background deliverer POSTs them; without [webhooks] nothing is recorded.
  auto webhooks = WebhookSink::create(
      config.webhooks, (*store)->outbox(), clock, random, config.insecure_test_clock,
      [](std::string_view message) { spdlog::warn("{}", message); });
  if (!webhooks) return fatal(webhooks.error().description);
  ctx.events = &(*webhooks)->sink();
  if (config.webhooks.enabled) spdlog::info("webhooks: {}", (*webhooks)->describe());
  // Issue 14 (docs/secret-age.md, docs/service-accounts.md): the age policy
  // of secrets and keys, and the lifecycle scan (hourly with the
  // maintenance below; with --insecure-test-clock also after each advance).
  // Built after ctx.events is set: it publishes there.
  const SecretAgePolicy secret_age{config.secret_max_age_days, config.secret_hard_max_age_days,
                                   config.key_expiring_soon_days};
  ctx.secret_age = &secret_age;
  keys::LifecycleScan lifecycle(
      **store, clock, secret_age, ctx.events, &audit_log, forget_user,
      [](std::string_view message) { spdlog::warn("lifecycle scan: {}", message); });
  const auto run_lifecycle = [&lifecycle] {
    if (auto r = lifecycle.run(); !r) {
      spdlog::warn("lifecycle scan failed: {}", r.error().description);
    } else if (r->accounts_disabled > 0) {
      spdlog::info("lifecycle scan: {} expired service accounts disabled", r->accounts_disabled);
    }
  };
  if (config.insecure_test_clock) ctx.after_test_clock_advance = run_lifecycle;
  // Limits (docs/rate-limits.md): per-key rate (an admin's per-key override
  // > the key's role limits > the defaults), per-key-per-route concurrency
  // and the token endpoints' credential-stuffing throttle. Rate and
  // concurrency counts live in this process, or in Redis (--limits) shared
  // by every node; the throttle is always per node. Set before the router
  // is built.
  limits::LimitersOptions limiters_options;
  limiters_options.url = config.limits;
  limiters_options.lease = std::chrono::seconds(config.limits_lease_s);
  // One connection per I/O thread: a limit decision never waits for another's.
  limiters_options.connections =
      std::max(2, config.io_threads > 0 ? config.io_threads
                                        : static_cast<int>(std::thread::hardware_concurrency()));
  limiters_options.use_clock_time = config.insecure_test_clock;
  limiters_options.log = [](bool warning, std::string_view message) {
    if (warning) {
      spdlog::warn("{}", message);
    } else {
      spdlog::info("{}", message);
    }
  };
  auto limiters = limits::make_limiters(limiters_options, clock);
  if (!limiters) return fatal(limiters.error().description);
  spdlog::info("limits: {}", limiters->description);
  limits::Limits limits;
  limits.rate = std::move(limiters->rate);
  limits.concurrency = std::move(limiters->concurrency);
  limits.fail_open = config.limits_fail_open;
  limits::AuthThrottleOptions throttle_options;
  throttle_options.client_free_failures = static_cast<int>(config.auth_throttle_client_failures);
  throttle_options.ip_free_failures = static_cast<int>(config.auth_throttle_ip_failures);
  throttle_options.max_delay = std::chrono::seconds(config.auth_throttle_max_delay_s);
  throttle_options.forget_after = std::chrono::seconds(config.auth_throttle_forget_s);
  limits.auth_throttle = std::make_unique<limits::AuthThrottle>(clock, throttle_options);
  // The configured part of the policy is replaced on reload (server/reload.h).
  const limits::KeyOverrideLookup key_overrides =
      [&key_service](std::string_view key_id) -> std::optional<limits::LimitOverride> {
    auto over = key_service.limits_of(key_id);
    if (!over) return std::nullopt;
    return limits::LimitOverride{over->requests_per_minute, over->concurrent_per_route};
  };
  auto limit_policy =
      std::make_unique<ReloadableLimitPolicy>(make_limit_policy(config, key_overrides));
  ReloadableLimitPolicy& reloadable_limits = *limit_policy;
  limits.policy = std::move(limit_policy);
  ctx.limits = &limits;
  // Usage per API key (docs/key-usage.md): counted in memory by the
  // pipeline, flushed to the store in batches and at shutdown; per-key
  // metrics for the top keys only. Set before the router is built.
  usage::UsageCounter usage_counter;
  usage::UsageService usage_service(
      (*store)->usage(), usage_counter, clock,
      usage::UsageOptions{static_cast<int>(config.usage_retention_days),
                          static_cast<int>(config.usage_hourly_retention_days)});
  ctx.usage = &usage_service;
  usage::register_key_usage_metrics(metrics::default_registry(), usage_counter,
                                    static_cast<std::size_t>(config.metrics_top_keys));
  // Gateway mode (docs/gateway.md): entries of the same route table, after
  // the API's own routes.
  // One router, replaced as a whole on reload (http/router_source.h).
  auto initial_router = build_configured_router(ctx, config);
  if (!initial_router) return fatal(initial_router.error().description);
  http::RouterSource router(std::move(*initial_router));

  http::ServerOptions options;
  options.host = config.host();
  options.port = config.port();
  options.io_threads = config.io_threads;
  options.tls_cert_file = config.tls_cert;
  options.tls_key_file = config.tls_key;
  options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
  options.max_header_bytes = static_cast<std::size_t>(config.max_header_bytes);
  options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);
  options.trusted_proxies = CidrSet::parse(config.trusted_proxies).value();  // validated
  options.proxy_protocol = config.proxy_protocol;
  if (!options.trusted_proxies.empty()) {
    std::string list;
    for (const auto& block : options.trusted_proxies.blocks()) {
      list += (list.empty() ? "" : ", ") + block.to_string();
    }
    spdlog::info("trusted proxies: {}{}", list,
                 config.proxy_protocol ? " (PROXY protocol expected from them)" : "");
  }
  {
    const std::uint64_t nofile = http::current_nofile_limit();
    const http::ConnectionLimits caps = http::resolve_connection_limits(
        static_cast<std::size_t>(config.max_connections),
        static_cast<std::size_t>(config.max_connections_per_client), nofile);
    options.max_connections = caps.max_connections;
    options.max_connections_per_client = caps.max_per_client;
    options.max_requests_per_connection =
        static_cast<std::uint64_t>(config.max_requests_per_connection);
    options.max_connection_age = std::chrono::seconds(config.max_connection_age_s);
    spdlog::info(
        "connection limits: {} open in all{}, {} per client address, {} refusals in flight; {} "
        "requests and {} s per keep-alive connection (0: unlimited)",
        caps.max_connections, config.max_connections == 0 ? " (derived)" : "", caps.max_per_client,
        caps.max_refusals_in_flight, config.max_requests_per_connection,
        config.max_connection_age_s);
    if (caps.max_connections + http::kMinDescriptorReserve > nofile) {
      spdlog::warn(
          "max_connections {} leaves fewer than {} of the {} file descriptors for the store, logs "
          "and upstreams: accept() may fail with EMFILE",
          caps.max_connections, http::kMinDescriptorReserve, nofile);
    }
  }
  // Access lines are info-level: a quieter log_level silences them too
  // (checked per request, so set_log_level() applies at once).
  options.access_log = config.access_log;
  options.access_log_sink = access_log;
  options.access_log_format = log_format;
  options.clock = &clock;
  // /metrics (docs/metrics.md): requests by route and status, latencies,
  // and the services' own cache and audit counters.
  options.observer = request_metrics_observer();
  register_service_metrics(**jwt_service, permissions, audit_log);
  metrics::register_process_metrics(metrics::default_registry());
  metrics::register_build_info(metrics::default_registry());
  // The first start (server/bootstrap.h): on a store without users, the
  // admin's credentials are written and printed, then the admin is stored,
  // all after the port is bound and before it listens, so no crash can lock
  // the admin out and no client can connect before the bootstrap file is
  // complete.
  options.before_listen = [&users, &config, &clock, log_format](const std::string& url) -> Status {
    // In JSON format the credentials are one JSON line too (docs/logging.md).
    auto first = run_first_start(users, url, config.bootstrap_file, stdout,
                                 log_format == LogFormat::kJson ? &clock : nullptr);
    if (!first) return fail(Error{first.error().code, "first start: " + first.error().description});
    return {};
  };
  auto server = http::Server::start(options, router, random);
  if (!server) return fatal(server.error().description);
  const std::string url = (*server)->url();
  // One issuer for `iss` and the RFC 8414 metadata (docs/jwt.md): the
  // configured one, else public_url, else the bound URL. Set before run():
  // no request is served and no token issued before.
  (*jwt_service)->set_issuer(effective_issuer(config, url));
  register_connection_metrics(**server);

  if (auto pruned = account_tokens.prune(); !pruned) {
    spdlog::warn("tombstone pruning failed: {}", pruned.error().description);
  }
  run_lifecycle();
  Maintenance maintenance(
      account_tokens, [jwts = jwt_service->get(), &console_auth, &run_lifecycle] {
        run_lifecycle();
        if (auto s = jwts->maintain(); !s) {
          spdlog::warn("JWT maintenance failed: {}", s.error().description);
        }
        if (auto n = console_auth.prune(); !n) {
          spdlog::warn("console session pruning failed: {}", n.error().description);
        }
      });
  usage::UsageFlusher usage_flusher(usage_service,
                                    std::chrono::milliseconds(config.key_last_used_flush_ms),
                                    [](std::string_view message) { spdlog::warn("{}", message); });
  (*webhooks)->start();
  keys::LastUsedFlusher key_last_used(
      key_service, std::chrono::milliseconds(config.key_last_used_flush_ms),
      [](std::string_view message) { spdlog::warn("{}", message); });

  spdlog::info("latchkeyd listening on {} ({})", url,
               config.store.empty() ? "data: " + config.data_dir
                                    : "store: " + redact_store_url(config.store));
  if (!config.ready_file.empty()) {
    std::ofstream(config.ready_file + ".tmp") << url << "\n";
    std::rename((config.ready_file + ".tmp").c_str(), config.ready_file.c_str());
  }
  // Tests only: the start is complete; later writes must not be killed.
  test_hooks::disarm_crash_points();

  // SIGHUP: load the configuration again (file, environment, flags) and
  // apply what can change while serving; connections stay open.
  Reloader reloader(
      config,
      [argc, argv]() -> Result<Config> {
        auto again = load_config(argc, argv);
        if (!again) return fail(again.error());
        return std::move(again->config);
      },
      [&ctx, &router, &reloadable_limits, &key_overrides](const Config& next,
                                                          const ConfigDiff&) -> Status {
        // Build everything first: a failure here changes nothing.
        auto next_router = build_configured_router(ctx, next);
        if (!next_router) return fail(next_router.error());
        auto next_limits = make_limit_policy(next, key_overrides);
        router.publish(std::move(*next_router));
        reloadable_limits.replace(std::move(next_limits));
        apply_log_level(next);
        return {};
      },
      [](bool warning, const std::string& line) {
        if (warning) {
          spdlog::warn("{}", line);
        } else {
          spdlog::info("{}", line);
        }
      });
  std::thread signal_watcher([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        spdlog::info("signal {} (SIGHUP): reloading the configuration", sig);
        reloader.reload();
        continue;
      }
      spdlog::info("signal {}: draining", sig);
      (*server)->stop();
      return;
    }
  });
  (*server)->run();
  // If run() returned for another reason, release the watcher.
  pthread_kill(signal_watcher.native_handle(), SIGTERM);
  signal_watcher.join();
  unregister_service_metrics();
  unregister_connection_metrics();
  // Every request has been answered: the last usage counts per API key.
  usage_flusher.stop();
  usage::unregister_key_usage_metrics(metrics::default_registry());
  // Every request has been answered: store what they recorded.
  key_last_used.stop();             // the last batch of API key last-used times
  (void)console_auth.flush_seen();  // console sessions' last use
  audit_log.shutdown();
  // Undelivered events stay in the outbox for the next start.
  (*webhooks)->stop();
  if (const AuditLogStats audit_stats = audit_log.stats();
      audit_stats.dropped + audit_stats.failed > 0) {
    spdlog::warn("audit: {} events dropped (buffer full) and {} lost (store errors) in this run",
                 audit_stats.dropped, audit_stats.failed);
  }
  access_log->stop();  // run() flushed it; nothing is appended any more
  if (const http::AccessLogStats access_stats = access_log->stats();
      access_stats.dropped + access_stats.failed_bytes > 0) {
    spdlog::warn("access log: {} lines dropped (writer behind) and {} bytes lost (write errors)",
                 access_stats.dropped, access_stats.failed_bytes);
  }
  spdlog::info("latchkeyd stopped");
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace latchkey::server

int main(int argc, char** argv) { return latchkey::server::run(argc, argv); }
