// latchkeyd configuration: defaults, overridden by a TOML file
// (--config / LATCHKEY_CONFIG), overridden by environment variables
// (LATCHKEY_*), overridden by command-line flags. Parsed once at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gateway/route_table.h"
#include "pipeline/route_rules.h"
#include "server/webhook_config.h"

namespace latchkey::server {

// [[role_limits]] (docs/rate-limits.md): the limits of keys that carry this
// role, over the defaults; an absent field keeps the default.
struct RoleLimitSpec {
  std::string role;  // a role id
  std::optional<std::int64_t> requests_per_minute;
  std::optional<std::int64_t> concurrent_per_route;
  bool operator==(const RoleLimitSpec&) const = default;
};

// A new setting also goes into server/config_diff.cc, as reloadable (and
// applied in server/reload.h's Apply) or as needing a restart, so that a
// SIGHUP reload reports its changes (docs/operations.md).
struct Config {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string data_dir = "./latchkey-data";
  // The store (docs/postgresql.md): empty = the embedded SQLite in
  // data_dir; postgres://USER@HOST:PORT/DB or a libpq key=value string =
  // PostgreSQL, shared by several nodes. May hold a password: never logged
  // as is (store/store_url.h).
  std::string store;
  std::int64_t store_pool_size = 16;  // PostgreSQL connections per process
  int io_threads = 0;                 // 0: one per core
  std::string tls_cert;
  std::string tls_key;
  std::int64_t account_token_ttl_seconds = 365LL * 24 * 3600;  // seed 000: one year
  // The token-interference alarm (docs/origin-restrictions.md): more than
  // this many account-token issuances for one user within an hour, from at
  // least two addresses, raise it. 0: off.
  std::int64_t token_interference_threshold = 5;
  std::string bootstrap_file;  // also write the first admin's credentials here (mode 0600)
  std::string ready_file;      // write the server URL here once listening
  std::string log_level = "info";
  // "json", "text", or "auto" (json unless stderr is a terminal);
  // docs/logging.md.
  std::string log_format = "auto";
  bool access_log = true;
  std::int64_t max_body_bytes = 64 * 1024;
  std::int64_t max_header_bytes = 8 * 1024;
  std::int64_t read_timeout_ms = 10'000;
  std::int64_t idle_timeout_ms = 60'000;
  // Connection limits (docs/security/connections.md): 0 derives the caps
  // from RLIMIT_NOFILE (after latchkeyd raised it to its hard limit); 0
  // turns the per-connection request and age limits off.
  std::int64_t max_connections = 0;
  std::int64_t max_connections_per_client = 0;
  std::int64_t max_requests_per_connection = 1000;
  std::int64_t max_connection_age_s = 3600;
  // Proxies (docs/proxies.md): CIDR blocks whose X-Forwarded-For (and, with
  // proxy_protocol, PROXY header) name the client. Empty: trust nobody.
  std::vector<std::string> trusted_proxies;
  bool proxy_protocol = false;
  bool insecure_test_clock = false;   // tests only: POST /_test/clock/advance
  bool insecure_test_faults = false;  // tests only: store fault injection, POST /_test/faults
  // Audit log (docs/audit.md): how often buffered events are stored, and
  // how many may wait before new ones are dropped (and counted).
  std::int64_t audit_flush_interval_ms = 1'000;
  std::int64_t audit_buffer_size = 65'536;
  // API keys (docs/api-keys.md): the longest validity a new key may ask
  // for (seed 004: at most one year), and how often coalesced last-used
  // times are written (one batch per interval, and at shutdown).
  std::int64_t key_max_validity_days = 365;
  std::int64_t key_last_used_flush_ms = 10'000;
  // Usage per API key (docs/key-usage.md): how long daily and hourly rows
  // are kept (hourly never longer than daily), and how many keys get their
  // own series on /metrics (the rest are summed as key_id="other"; 0: off).
  // Counts are flushed every key_last_used_flush_ms and at shutdown.
  std::int64_t usage_retention_days = 90;
  std::int64_t usage_hourly_retention_days = 14;
  std::int64_t metrics_top_keys = 0;  // opt-in: /metrics needs no token
  // Age policy (docs/secret-age.md): Client Secrets and API keys are due
  // for rotation at this age (0: never); issuance is refused past the hard
  // maximum (0: off; else >= secret_max_age_days); the rotation report and
  // the Latchkey-Key-Expires-Soon header look this many days ahead.
  std::int64_t secret_max_age_days = 90;
  std::int64_t secret_hard_max_age_days = 0;
  std::int64_t key_expiring_soon_days = 14;
  // JWTs from API keys (docs/jwt.md): lifetimes of the seed-003 login token
  // and the seed-004 access token (seconds), the iss/aud claims, and how
  // often the signing key rotates automatically (0: never).
  std::int64_t key_login_token_ttl_seconds = 7200;
  std::int64_t key_access_token_ttl_seconds = 900;
  // Empty: the issuer is public_url, else the URL latchkeyd listens on
  // (effective_issuer()); it is also the RFC 8414 metadata `issuer`.
  std::string jwt_issuer;
  std::string jwt_audience = "latchkey";
  std::int64_t signing_key_rotation_days = 30;
  // OAuth 2.0 (docs/oauth.md): lifetime of POST /oauth/token tokens
  // (seconds), and the absolute URL clients reach this server at, for the
  // RFC 8414 metadata (empty: from the request's Host header).
  std::int64_t oauth_access_token_ttl_seconds = 3600;
  std::string public_url;
  // nginx auth_request (docs/nginx.md): [[route_rules]] tables, validated
  // (compiled) by load_config; first match wins, no match denies.
  std::vector<pipeline::RouteRuleSpec> route_rules;
  // Gateway mode (docs/gateway.md): [[gateway_routes]] tables, validated
  // (compiled) by load_config.
  std::vector<gateway::GatewayRouteSpec> gateway_routes;
  // Permission model (docs/permissions.md): module names added to the
  // built-in RECORDS, IMPORT, TABLE_REPORTS_READ, STATUS, ADMIN, BUILD.
  std::vector<std::string> extra_modules;
  // Limits (docs/rate-limits.md): per API key, requests per sliding minute
  // and in-flight requests per route (seed 004: 60 and 5; 0 = unlimited),
  // per-role overrides, and the token endpoints' credential-stuffing
  // throttle (free failures per client id / per source IP, longest delay,
  // seconds without a failure after which a count is forgotten).
  std::int64_t rate_limit_per_minute = 60;
  std::int64_t concurrency_per_route = 5;
  std::vector<RoleLimitSpec> role_limits;
  std::int64_t auth_throttle_client_failures = 5;
  std::int64_t auth_throttle_ip_failures = 20;
  std::int64_t auth_throttle_max_delay_s = 300;
  std::int64_t auth_throttle_forget_s = 900;
  // Webhooks (docs/webhooks.md): the [webhooks] table; disabled without it.
  WebhookConfig webhooks;

  // Derived from `listen`.
  std::string host() const;
  std::uint16_t port() const;
};

struct ParsedCommandLine {
  Config config;
  bool exit_now = false;  // --help or --version was printed, or `error` is set
  std::string error;      // a command-line error to report before exiting with exit_code
  // `latchkeyd recover-admin`: run the offline recovery instead of serving
  // (server/recover_admin.h).
  bool recover_admin = false;
  int exit_code = 0;
};

// kInvalidRequest with a message for the operator on any bad value, unknown
// TOML key or unreadable file.
Result<ParsedCommandLine> load_config(int argc, const char* const* argv);

// The configuration of a TOML document alone (defaults, then `toml_text`,
// then validation): the file half of load_config without environment or
// flags, for tests and the TOML fuzz target. Same errors as load_config.
Result<Config> config_from_toml(std::string_view toml_text);

// The `iss` of issued JWTs and the RFC 8414 metadata `issuer`: jwt_issuer
// when set, else public_url without trailing slashes, else `bound_url`
// (the URL the server listens on, e.g. "http://127.0.0.1:8080").
std::string effective_issuer(const Config& config, std::string_view bound_url);

}  // namespace latchkey::server
