#include "server/config_diff.h"

#include <functional>

namespace latchkey::server {
namespace {

// One setting: its name and whether two configurations differ in it.
struct Setting {
  const char* name;
  std::function<bool(const Config&, const Config&)> differs;
};

template <class T>
Setting setting(const char* name, T Config::*field) {
  return {name, [field](const Config& a, const Config& b) { return !(a.*field == b.*field); }};
}

// Applied by a reload (server/reload.h): the routes and rules the router is
// built from, the per-key limits, the log level.
const std::vector<Setting>& reloadable_settings() {
  static const std::vector<Setting> settings = {
      setting("gateway_routes", &Config::gateway_routes),
      setting("route_rules", &Config::route_rules),
      setting("rate_limit_per_minute", &Config::rate_limit_per_minute),
      setting("concurrency_per_route", &Config::concurrency_per_route),
      setting("role_limits", &Config::role_limits),
      setting("log_level", &Config::log_level),
  };
  return settings;
}

// Read once at start-up by the listener, the store or a service built
// from them.
const std::vector<Setting>& restart_settings() {
  static const std::vector<Setting> settings = {
      setting("listen", &Config::listen),
      setting("data", &Config::data_dir),
      setting("store", &Config::store),
      setting("store_pool_size", &Config::store_pool_size),
      setting("threads", &Config::io_threads),
      setting("tls_cert", &Config::tls_cert),
      setting("tls_key", &Config::tls_key),
      setting("account_token_ttl", &Config::account_token_ttl_seconds),
      setting("token_interference_threshold", &Config::token_interference_threshold),
      setting("bootstrap_file", &Config::bootstrap_file),
      setting("ready_file", &Config::ready_file),
      setting("access_log", &Config::access_log),
      setting("max_body_bytes", &Config::max_body_bytes),
      setting("max_header_bytes", &Config::max_header_bytes),
      setting("read_timeout_ms", &Config::read_timeout_ms),
      setting("idle_timeout_ms", &Config::idle_timeout_ms),
      setting("max_connections", &Config::max_connections),
      setting("max_connections_per_client", &Config::max_connections_per_client),
      setting("max_requests_per_connection", &Config::max_requests_per_connection),
      setting("max_connection_age_s", &Config::max_connection_age_s),
      setting("insecure_test_clock", &Config::insecure_test_clock),
      setting("insecure_test_faults", &Config::insecure_test_faults),
      setting("audit_flush_interval_ms", &Config::audit_flush_interval_ms),
      setting("audit_buffer_size", &Config::audit_buffer_size),
      setting("key_max_validity_days", &Config::key_max_validity_days),
      setting("key_last_used_flush_ms", &Config::key_last_used_flush_ms),
      setting("usage_retention_days", &Config::usage_retention_days),
      setting("usage_hourly_retention_days", &Config::usage_hourly_retention_days),
      setting("metrics_top_keys", &Config::metrics_top_keys),
      setting("secret_max_age_days", &Config::secret_max_age_days),
      setting("secret_hard_max_age_days", &Config::secret_hard_max_age_days),
      setting("key_expiring_soon_days", &Config::key_expiring_soon_days),
      setting("key_login_token_ttl", &Config::key_login_token_ttl_seconds),
      setting("key_access_token_ttl", &Config::key_access_token_ttl_seconds),
      setting("jwt_issuer", &Config::jwt_issuer),
      setting("jwt_audience", &Config::jwt_audience),
      setting("signing_key_rotation_days", &Config::signing_key_rotation_days),
      setting("oauth_access_token_ttl", &Config::oauth_access_token_ttl_seconds),
      setting("public_url", &Config::public_url),
      setting("extra_modules", &Config::extra_modules),
      setting("auth_throttle_client_failures", &Config::auth_throttle_client_failures),
      setting("auth_throttle_ip_failures", &Config::auth_throttle_ip_failures),
      setting("auth_throttle_max_delay_s", &Config::auth_throttle_max_delay_s),
      setting("auth_throttle_forget_s", &Config::auth_throttle_forget_s),
      setting("trusted_proxies", &Config::trusted_proxies),
      setting("proxy_protocol", &Config::proxy_protocol),
      setting("log_format", &Config::log_format),
      setting("webhooks", &Config::webhooks),
  };
  return settings;
}

}  // namespace

ConfigDiff diff_config(const Config& running, const Config& next) {
  ConfigDiff diff;
  for (const Setting& s : reloadable_settings()) {
    if (s.differs(running, next)) diff.reloadable.emplace_back(s.name);
  }
  for (const Setting& s : restart_settings()) {
    if (s.differs(running, next)) diff.needs_restart.emplace_back(s.name);
  }
  return diff;
}

Config with_reloadable_settings(const Config& running, const Config& next) {
  Config merged = running;
  merged.gateway_routes = next.gateway_routes;
  merged.route_rules = next.route_rules;
  merged.rate_limit_per_minute = next.rate_limit_per_minute;
  merged.concurrency_per_route = next.concurrency_per_route;
  merged.role_limits = next.role_limits;
  merged.log_level = next.log_level;
  return merged;
}

std::string join_settings(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace latchkey::server
