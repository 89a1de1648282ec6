#include "server/config.h"

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <set>

#include "core/cidr.h"
#include "server/webhook_config_toml.h"
#include "store/store_url.h"

namespace latchkey::server {
namespace {

// Ten years: far beyond any sane token, far below overflow in milliseconds.
constexpr std::int64_t kMaxTokenTtlSeconds = 10LL * 365 * 24 * 3600;

// HOST:PORT or [IPv6]:PORT.
bool split_listen(std::string_view listen, std::string* host, std::uint16_t* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;  // "[]:80" (found by the config_toml fuzz target)
  const std::string_view p = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) return false;
  if (host) *host = std::string(h);
  if (port) *port = static_cast<std::uint16_t>(value);
  return true;
}

// "FILE:LINE:COLUMN: message" (docs/configuration.md): where in the file a
// problem is, in the form editors and compilers use; "FILE: message" when
// the place is unknown.
Error at(const std::string& path, const toml::source_region& where, const std::string& message) {
  if (where.begin.line == 0) return Error::invalid_request(path + ": " + message);
  return Error::invalid_request(path + ":" + std::to_string(where.begin.line) + ":" +
                                std::to_string(where.begin.column) + ": " + message);
}

// [[route_rules]] tables (api/route_rules.h); compiled later by validate().
Status parse_route_rules(const toml::node& node, const std::string& path,
                         std::vector<pipeline::RouteRuleSpec>& out) {
  const toml::array* rules = node.as_array();
  if (rules == nullptr) {
    return fail(
        at(path, node.source(), "route_rules must be an array of tables ([[route_rules]])"));
  }
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const std::string where = "route_rules[" + std::to_string(i) + "]: ";
    const toml::table* rule = (*rules)[i].as_table();
    if (rule == nullptr) return fail(at(path, (*rules)[i].source(), where + "must be a table"));
    pipeline::RouteRuleSpec spec;
    for (const auto& [key, value] : *rule) {
      const std::string_view k = key.str();
      if (k == "method" || k == "path" || k == "action" || k == "application") {
        const auto text = value.value_exact<std::string>();
        if (!text)
          return fail(at(path, value.source(), where + std::string(k) + " must be a string"));
        (k == "method"   ? spec.method
         : k == "path"   ? spec.path
         : k == "action" ? spec.action
                         : spec.application) = *text;
      } else if (k == "steps") {
        const toml::array* steps = value.as_array();
        if (steps == nullptr) {
          return fail(at(path, value.source(), where + "steps must be an array of strings"));
        }
        for (const toml::node& step : *steps) {
          const auto text = step.value_exact<std::string>();
          if (!text)
            return fail(at(path, step.source(), where + "steps must be an array of strings"));
          spec.steps.push_back(*text);
        }
      } else if (k == "admin_data") {
        const auto flag = value.value_exact<bool>();
        if (!flag)
          return fail(at(path, value.source(), where + "admin_data must be true or false"));
        spec.admin_data = *flag;
      } else {
        return fail(at(path, key.source(),
                       where + "unknown key \"" + std::string(k) +
                           "\" (known: method, path, action, application, steps, admin_data)"));
      }
    }
    for (const auto& [name, value] :
         {std::pair{"method", &spec.method}, {"path", &spec.path}, {"action", &spec.action}}) {
      if (value->empty()) return fail(at(path, rule->source(), where + name + " is required"));
    }
    out.push_back(std::move(spec));
  }
  return {};
}

// [[role_limits]] tables: {role, requests_per_minute?, concurrent_per_route?}.
Status parse_role_limits(const toml::node& node, const std::string& path,
                         std::vector<RoleLimitSpec>& out) {
  const toml::array* entries = node.as_array();
  if (entries == nullptr) {
    return fail(
        at(path, node.source(), "role_limits must be an array of tables ([[role_limits]])"));
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string where = "role_limits[" + std::to_string(i) + "]: ";
    const toml::table* entry = (*entries)[i].as_table();
    if (entry == nullptr) return fail(at(path, (*entries)[i].source(), where + "must be a table"));
    RoleLimitSpec spec;
    for (const auto& [key, value] : *entry) {
      const std::string_view k = key.str();
      if (k == "role") {
        const auto text = value.value_exact<std::string>();
        if (!text) return fail(at(path, value.source(), where + "role must be a string"));
        spec.role = *text;
      } else if (k == "requests_per_minute" || k == "concurrent_per_route") {
        const auto number = value.value_exact<std::int64_t>();
        if (!number) {
          return fail(at(path, value.source(), where + std::string(k) + " must be an integer"));
        }
        (k == "requests_per_minute" ? spec.requests_per_minute : spec.concurrent_per_route) =
            *number;
      } else {
        return fail(at(path, key.source(),
                       where + "unknown key \"" + std::string(k) +
                           "\" (known: role, requests_per_minute, concurrent_per_route)"));
      }
    }
    if (spec.role.empty()) return fail(at(path, entry->source(), where + "role is required"));
    out.push_back(std::move(spec));
  }
  return {};
}

// [[gateway_routes]] tables (gateway/route_table.h); compiled later by validate().
Status parse_gateway_routes(const toml::node& node, const std::string& path,
                            std::vector<gateway::GatewayRouteSpec>& out) {
  const toml::array* routes = node.as_array();
  if (routes == nullptr) {
    return fail(
        at(path, node.source(), "gateway_routes must be an array of tables ([[gateway_routes]])"));
  }
  for (std::size_t i = 0; i < routes->size(); ++i) {
    const std::string where = "gateway_routes[" + std::to_string(i) + "]: ";
    const toml::table* route = (*routes)[i].as_table();
    if (route == nullptr) return fail(at(path, (*routes)[i].source(), where + "must be a table"));
    gateway::GatewayRouteSpec spec;
    const std::pair<const char*, std::string*> strings[] = {
        {"method", &spec.method},
        {"path", &spec.path},
        {"upstream", &spec.upstream},
        {"action", &spec.action},
        {"application", &spec.application},
        {"application_param", &spec.application_param},
        {"step", &spec.step},
        {"step_param", &spec.step_param}};
    for (const auto& [key, value] : *route) {
      const std::string_view k = key.str();
      bool known = false;
      for (const auto& [name, field] : strings) {
        if (k != name) continue;
        known = true;
        const auto text = value.value_exact<std::string>();
        if (!text) return fail(at(path, value.source(), where + name + " must be a string"));
        *field = *text;
      }
      if (known) continue;
      if (k == "forward_authorization") {
        const auto flag = value.value_exact<bool>();
        if (!flag) {
          return fail(
              at(path, value.source(), where + "forward_authorization must be true or false"));
        }
        spec.forward_authorization = *flag;
      } else if (k == "timeout_ms" || k == "connect_timeout_ms") {
        const auto number = value.value_exact<std::int64_t>();
        if (!number) {
          return fail(at(path, value.source(), where + std::string(k) + " must be an integer"));
        }
        (k == "timeout_ms" ? spec.timeout_ms : spec.connect_timeout_ms) = *number;
      } else {
        return fail(at(path, key.source(),
                       where + "unknown key \"" + std::string(k) +
                           "\" (known: method, path, upstream, action, application, "
                           "application_param, step, step_param, forward_authorization, "
                           "timeout_ms, connect_timeout_ms)"));
      }
    }
    for (const auto& [name, value] : {std::pair{"method", &spec.method},
                                      {"path", &spec.path},
                                      {"upstream", &spec.upstream},
                                      {"action", &spec.action}}) {
      if (value->empty()) return fail(at(path, route->source(), where + name + " is required"));
    }
    out.push_back(std::move(spec));
  }
  return {};
}

// `path` names the source in messages (a file, or "<string>").
Status apply_toml_table(toml::table& table, const std::string& path, Config& c) {
  static const std::set<std::string, std::less<>> kKnown = {"listen",
                                                            "data",
                                                            "store",
                                                            "store_pool_size",
                                                            "threads",
                                                            "tls_cert",
                                                            "tls_key",
                                                            "account_token_ttl",
                                                            "token_interference_threshold",
                                                            "bootstrap_file",
                                                            "log_level",
                                                            "log_format",
                                                            "access_log",
                                                            "max_body_bytes",
                                                            "max_header_bytes",
                                                            "read_timeout_ms",
                                                            "idle_timeout_ms",
                                                            "max_connections",
                                                            "max_connections_per_client",
                                                            "max_requests_per_connection",
                                                            "max_connection_age_s",
                                                            "trusted_proxies",
                                                            "proxy_protocol",
                                                            "audit_flush_interval_ms",
                                                            "audit_buffer_size",
                                                            "key_max_validity_days",
                                                            "key_last_used_flush_ms",
                                                            "usage_retention_days",
                                                            "usage_hourly_retention_days",
                                                            "metrics_top_keys",
                                                            "secret_max_age_days",
                                                            "secret_hard_max_age_days",
                                                            "key_expiring_soon_days",
                                                            "key_login_token_ttl",
                                                            "key_access_token_ttl",
                                                            "jwt_issuer",
                                                            "jwt_audience",
                                                            "signing_key_rotation_days",
                                                            "oauth_access_token_ttl",
                                                            "public_url",
                                                            "route_rules",
                                                            "gateway_routes",
                                                            "extra_modules",
                                                            "rate_limit_per_minute",
                                                            "concurrency_per_route",
                                                            "role_limits",
                                                            "auth_throttle_client_failures",
                                                            "auth_throttle_ip_failures",
                                                            "auth_throttle_max_delay_s",
                                                            "auth_throttle_forget_s",
                                                            "webhooks"};
  for (const auto& [key, value] : table) {
    if (!kKnown.contains(key.str())) {
      return fail(at(path, key.source(), "unknown key \"" + std::string(key.str()) + "\""));
    }
  }
  // A key of the wrong type is an error, never silently ignored; the first
  // one is reported, where its value is.
  std::optional<Error> wrong_type;
  auto bad = [&](const toml::node& node, std::string message) {
    if (!wrong_type) wrong_type = at(path, node.source(), message);
  };
  auto str = [&](const char* key, std::string& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    if (auto v = node->value_exact<std::string>())
      out = *v;
    else
      bad(*node, std::string(key) + " must be a string");
  };
  auto num = [&](const char* key, std::int64_t& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    if (auto v = node->value_exact<std::int64_t>())
      out = *v;
    else
      bad(*node, std::string(key) + " must be an integer");
  };
  str("listen", c.listen);
  str("data", c.data_dir);
  str("store", c.store);
  num("store_pool_size", c.store_pool_size);
  str("tls_cert", c.tls_cert);
  str("tls_key", c.tls_key);
  str("bootstrap_file", c.bootstrap_file);
  str("log_level", c.log_level);
  str("log_format", c.log_format);
  std::int64_t threads = c.io_threads;
  num("threads", threads);
  c.io_threads = static_cast<int>(threads);
  num("account_token_ttl", c.account_token_ttl_seconds);
  num("token_interference_threshold", c.token_interference_threshold);
  num("max_body_bytes", c.max_body_bytes);
  num("max_header_bytes", c.max_header_bytes);
  num("read_timeout_ms", c.read_timeout_ms);
  num("idle_timeout_ms", c.idle_timeout_ms);
  num("max_connections", c.max_connections);
  num("max_connections_per_client", c.max_connections_per_client);
  num("max_requests_per_connection", c.max_requests_per_connection);
  num("max_connection_age_s", c.max_connection_age_s);
  num("audit_flush_interval_ms", c.audit_flush_interval_ms);
  num("audit_buffer_size", c.audit_buffer_size);
  num("key_max_validity_days", c.key_max_validity_days);
  num("key_last_used_flush_ms", c.key_last_used_flush_ms);
  num("usage_retention_days", c.usage_retention_days);
  num("usage_hourly_retention_days", c.usage_hourly_retention_days);
  num("metrics_top_keys", c.metrics_top_keys);
  num("secret_max_age_days", c.secret_max_age_days);
  num("secret_hard_max_age_days", c.secret_hard_max_age_days);
  num("key_expiring_soon_days", c.key_expiring_soon_days);
  num("key_login_token_ttl", c.key_login_token_ttl_seconds);
  num("key_access_token_ttl", c.key_access_token_ttl_seconds);
  str("jwt_issuer", c.jwt_issuer);
  str("jwt_audience", c.jwt_audience);
  num("signing_key_rotation_days", c.signing_key_rotation_days);
  num("oauth_access_token_ttl", c.oauth_access_token_ttl_seconds);
  str("public_url", c.public_url);
  num("rate_limit_per_minute", c.rate_limit_per_minute);
  num("concurrency_per_route", c.concurrency_per_route);
  num("auth_throttle_client_failures", c.auth_throttle_client_failures);
  num("auth_throttle_ip_failures", c.auth_throttle_ip_failures);
  num("auth_throttle_max_delay_s", c.auth_throttle_max_delay_s);
  num("auth_throttle_forget_s", c.auth_throttle_forget_s);
  if (const toml::node* webhooks = table.get("webhooks")) {
    if (auto s = parse_webhooks_table(*webhooks, path, c.webhooks); !s) return s;
  }
  if (const toml::node* limits = table.get("role_limits")) {
    c.role_limits.clear();
    if (auto s = parse_role_limits(*limits, path, c.role_limits); !s) return s;
  }
  if (const toml::node* routes = table.get("gateway_routes")) {
    c.gateway_routes.clear();
    if (auto s = parse_gateway_routes(*routes, path, c.gateway_routes); !s) return s;
  }
  if (const toml::node* rules = table.get("route_rules")) {
    c.route_rules.clear();
    if (auto s = parse_route_rules(*rules, path, c.route_rules); !s) return s;
  }
  if (const toml::node* modules = table.get("extra_modules")) {
    const toml::array* list = modules->as_array();
    if (list == nullptr) {
      bad(*modules, "extra_modules must be an array of strings");
    } else {
      c.extra_modules.clear();
      for (const toml::node& module : *list) {
        if (auto v = module.value_exact<std::string>()) {
          c.extra_modules.push_back(*v);
        } else {
          bad(module, "extra_modules must be an array of strings");
        }
      }
    }
  }
  if (const toml::node* proxies = table.get("trusted_proxies")) {
    const toml::array* list = proxies->as_array();
    if (list == nullptr) {
      bad(*proxies, "trusted_proxies must be an array of strings (CIDR blocks)");
    } else {
      c.trusted_proxies.clear();
      for (const toml::node& entry : *list) {
        if (auto v = entry.value_exact<std::string>()) {
          c.trusted_proxies.push_back(*v);
        } else {
          bad(entry, "trusted_proxies must be an array of strings (CIDR blocks)");
        }
      }
    }
  }
  if (const toml::node* node = table.get("proxy_protocol")) {
    if (auto v = node->value_exact<bool>())
      c.proxy_protocol = *v;
    else
      bad(*node, "proxy_protocol must be true or false");
  }
  if (const toml::node* node = table.get("access_log")) {
    if (auto v = node->value_exact<bool>())
      c.access_log = *v;
    else
      bad(*node, "access_log must be true or false");
  }
  if (threads > std::numeric_limits<int>::max()) bad(*table.get("threads"), "threads is too large");
  if (wrong_type) return fail(*wrong_type);
  return {};
}

Status apply_toml_file(const std::string& path, Config& c) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fail(at(path, e.source(), std::string(e.description())));
  }
  return apply_toml_table(table, path, c);
}

// docs/security/connections.md: 0 derives a cap from RLIMIT_NOFILE, or turns
// a per-connection limit off.
Status validate_connection_limits(const Config& c) {
  constexpr std::int64_t kMaxCap = 10'000'000;
  if (c.max_connections < 0 || c.max_connections > kMaxCap || c.max_connections_per_client < 0 ||
      c.max_connections_per_client > kMaxCap) {
    return fail(Error::invalid_request(
        "max_connections and max_connections_per_client must be between 0 (derived from the "
        "descriptor limit) and 10000000"));
  }
  if (c.max_connections != 0 && c.max_connections_per_client > c.max_connections) {
    return fail(Error::invalid_request(
        "max_connections_per_client must not exceed max_connections (set them equal to turn the "
        "per-client cap off)"));
  }
  if (c.max_requests_per_connection < 0 || c.max_requests_per_connection > 1'000'000'000) {
    return fail(Error::invalid_request(
        "max_requests_per_connection must be between 0 (unlimited) and 1000000000"));
  }
  if (c.max_connection_age_s < 0 || c.max_connection_age_s > 30LL * 24 * 3600) {
    return fail(Error::invalid_request(
        "max_connection_age_s must be between 0 (unlimited) and 2592000 (30 days)"));
  }
  return {};
}

Status validate(const Config& c) {
  if (!split_listen(c.listen, nullptr, nullptr)) {
    return fail(Error::invalid_request("listen must be HOST:PORT, got \"" + c.listen + "\""));
  }
  if (c.data_dir.empty()) return fail(Error::invalid_request("data must not be empty"));
  if (!c.store.empty() && !is_postgres_url(c.store)) {
    return fail(
        Error::invalid_request("store must be empty (SQLite in data) or a PostgreSQL URL such as "
                               "postgres://USER@HOST:PORT/DB, got \"" +
                               redact_store_url(c.store) + "\""));
  }
  if (c.store_pool_size < 1 || c.store_pool_size > 1000) {
    return fail(Error::invalid_request("store_pool_size must be between 1 and 1000"));
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return fail(Error::invalid_request("TLS needs both tls_cert and tls_key"));
  }
  if (c.account_token_ttl_seconds <= 0 || c.account_token_ttl_seconds > kMaxTokenTtlSeconds) {
    return fail(Error::invalid_request(
        "account_token_ttl must be between 1 second and 10 years (315360000 seconds)"));
  }
  if (c.token_interference_threshold < 0 || c.token_interference_threshold > 1'000'000) {
    return fail(
        Error::invalid_request("token_interference_threshold must be between 0 (off) and 1000000"));
  }
  if (c.io_threads < 0 || c.max_body_bytes <= 0 || c.max_header_bytes <= 0 ||
      c.read_timeout_ms <= 0 || c.idle_timeout_ms <= 0) {
    return fail(Error::invalid_request("threads, sizes and timeouts must be positive"));
  }
  if (auto s = validate_connection_limits(c); !s) return s;
  if (auto proxies = CidrSet::parse(c.trusted_proxies); !proxies) {
    return fail(Error::invalid_request("trusted_proxies: " + proxies.error().description));
  }
  if (c.proxy_protocol && c.trusted_proxies.empty()) {
    return fail(Error::invalid_request(
        "proxy_protocol needs trusted_proxies: a PROXY header is accepted only from them"));
  }
  if (c.audit_flush_interval_ms <= 0 || c.audit_flush_interval_ms > 3'600'000) {
    return fail(
        Error::invalid_request("audit_flush_interval_ms must be between 1 and 3600000 (one hour)"));
  }
  if (c.audit_buffer_size <= 0 || c.audit_buffer_size > 10'000'000) {
    return fail(Error::invalid_request("audit_buffer_size must be between 1 and 10000000"));
  }
  if (c.key_max_validity_days < 1 || c.key_max_validity_days > 365) {
    return fail(Error::invalid_request(
        "key_max_validity_days must be between 1 and 365 (an API key is valid at most one year)"));
  }
  if (c.secret_max_age_days < 0 || c.secret_max_age_days > 3650) {
    return fail(Error::invalid_request(
        "secret_max_age_days must be between 0 (never due) and 3650 (ten years)"));
  }
  if (c.secret_hard_max_age_days < 0 || c.secret_hard_max_age_days > 3650) {
    return fail(Error::invalid_request(
        "secret_hard_max_age_days must be between 0 (off) and 3650 (ten years)"));
  }
  if (c.secret_hard_max_age_days > 0 && c.secret_max_age_days > 0 &&
      c.secret_hard_max_age_days < c.secret_max_age_days) {
    return fail(Error::invalid_request(
        "secret_hard_max_age_days (" + std::to_string(c.secret_hard_max_age_days) +
        ") must be at least secret_max_age_days (" + std::to_string(c.secret_max_age_days) +
        "): a secret is due for rotation before it is refused"));
  }
  if (c.key_expiring_soon_days < 0 || c.key_expiring_soon_days > 365) {
    return fail(Error::invalid_request("key_expiring_soon_days must be between 0 and 365"));
  }
  if (c.key_last_used_flush_ms <= 0 || c.key_last_used_flush_ms > 3'600'000) {
    return fail(
        Error::invalid_request("key_last_used_flush_ms must be between 1 and 3600000 (one hour)"));
  }
  if (c.usage_retention_days < 1 || c.usage_retention_days > 3650) {
    return fail(Error::invalid_request("usage_retention_days must be between 1 and 3650"));
  }
  if (c.usage_hourly_retention_days < 1 || c.usage_hourly_retention_days > c.usage_retention_days) {
    return fail(Error::invalid_request(
        "usage_hourly_retention_days must be between 1 and usage_retention_days"));
  }
  if (c.metrics_top_keys < 0 || c.metrics_top_keys > 1000) {
    return fail(Error::invalid_request("metrics_top_keys must be between 0 and 1000 (0: off)"));
  }
  if (c.key_login_token_ttl_seconds < 1 || c.key_login_token_ttl_seconds > 86'400 ||
      c.key_access_token_ttl_seconds < 1 || c.key_access_token_ttl_seconds > 86'400) {
    return fail(Error::invalid_request(
        "key_login_token_ttl and key_access_token_ttl must be between 1 and 86400 seconds"));
  }
  if (c.jwt_audience.empty()) {
    return fail(Error::invalid_request("jwt_audience must not be empty"));
  }
  if (c.oauth_access_token_ttl_seconds < 1 || c.oauth_access_token_ttl_seconds > 86'400) {
    return fail(
        Error::invalid_request("oauth_access_token_ttl must be between 1 and 86400 seconds"));
  }
  if (!c.public_url.empty() &&
      ((!c.public_url.starts_with("http://") && !c.public_url.starts_with("https://")) ||
       c.public_url.find_first_of("?# ") != std::string::npos)) {
    return fail(Error::invalid_request(
        "public_url must be an absolute http:// or https:// URL without query or fragment"));
  }
  if (c.signing_key_rotation_days < 0 || c.signing_key_rotation_days > 3650) {
    return fail(
        Error::invalid_request("signing_key_rotation_days must be between 0 (never) and 3650"));
  }
  for (const std::string& module : c.extra_modules) {
    // Module names as the permission model spells them: A-Z, 0-9, '_'.
    const bool ok =
        !module.empty() && module.size() <= 64 && module[0] >= 'A' && module[0] <= 'Z' &&
        module.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
    if (!ok) {
      return fail(Error::invalid_request("extra_modules: \"" + module +
                                         "\" is not a module name (A-Z, 0-9 and _, "
                                         "starting with a letter, at most 64)"));
    }
  }
  if (auto routes = gateway::compile_gateway_routes(c.gateway_routes); !routes) {
    return fail(Error::invalid_request("bad gateway route: " + routes.error().description));
  }
  if (auto rules = pipeline::RouteRules::compile(c.route_rules); !rules) {
    return fail(Error::invalid_request("bad nginx route rule: " + rules.error().description));
  }
  // Limits (docs/rate-limits.md): 0 means unlimited for the per-key limits.
  constexpr std::int64_t kMaxRate = 1'000'000;
  constexpr std::int64_t kMaxConcurrency = 100'000;
  if (c.rate_limit_per_minute < 0 || c.rate_limit_per_minute > kMaxRate) {
    return fail(
        Error::invalid_request("rate_limit_per_minute must be between 0 (unlimited) and 1000000"));
  }
  if (c.concurrency_per_route < 0 || c.concurrency_per_route > kMaxConcurrency) {
    return fail(
        Error::invalid_request("concurrency_per_route must be between 0 (unlimited) and 100000"));
  }
  std::set<std::string, std::less<>> limited_roles;
  for (const RoleLimitSpec& role : c.role_limits) {
    if (!limited_roles.insert(role.role).second) {
      return fail(Error::invalid_request("role_limits: role \"" + role.role + "\" appears twice"));
    }
    if (role.requests_per_minute &&
        (*role.requests_per_minute < 0 || *role.requests_per_minute > kMaxRate)) {
      return fail(Error::invalid_request("role_limits: requests_per_minute of \"" + role.role +
                                         "\" must be between 0 (unlimited) and 1000000"));
    }
    if (role.concurrent_per_route &&
        (*role.concurrent_per_route < 0 || *role.concurrent_per_route > kMaxConcurrency)) {
      return fail(Error::invalid_request("role_limits: concurrent_per_route of \"" + role.role +
                                         "\" must be between 0 (unlimited) and 100000"));
    }
  }
  if (c.auth_throttle_client_failures < 1 || c.auth_throttle_client_failures > 1'000'000 ||
      c.auth_throttle_ip_failures < 1 || c.auth_throttle_ip_failures > 1'000'000) {
    return fail(Error::invalid_request(
        "auth_throttle_client_failures and auth_throttle_ip_failures must be between 1 and "
        "1000000"));
  }
  if (c.auth_throttle_max_delay_s < 1 || c.auth_throttle_max_delay_s > 86'400) {
    return fail(Error::invalid_request("auth_throttle_max_delay_s must be between 1 and 86400"));
  }
  if (c.auth_throttle_forget_s < 1 || c.auth_throttle_forget_s > 86'400) {
    return fail(Error::invalid_request("auth_throttle_forget_s must be between 1 and 86400"));
  }
  static const std::set<std::string, std::less<>> kLevels = {"trace", "debug", "info",
                                                             "warn",  "error", "off"};
  if (!kLevels.contains(c.log_level)) {
    return fail(
        Error::invalid_request("log_level must be one of trace, debug, info, warn, error, off"));
  }
  if (c.log_format != "json" && c.log_format != "text" && c.log_format != "auto") {
    return fail(Error::invalid_request("log_format must be json, text or auto"));
  }
  return {};
}

}  // namespace

std::string Config::host() const {
  std::string h;
  split_listen(listen, &h, nullptr);
  return h;
}

std::uint16_t Config::port() const {
  std::uint16_t p = 0;
  split_listen(listen, nullptr, &p);
  return p;
}

Result<Config> config_from_toml(std::string_view toml_text) {
  Config c;
  toml::table table;
  try {
    table = toml::parse(toml_text, std::string_view("<string>"));
  } catch (const toml::parse_error& e) {
    return fail(at("<string>", e.source(), std::string(e.description())));
  }
  if (auto s = apply_toml_table(table, "<string>", c); !s) return fail(s.error());
  if (auto s = validate(c); !s) return fail(s.error());
  return c;
}

Result<ParsedCommandLine> load_config(int argc, const char* const* argv) {
  ParsedCommandLine out;
  Config& c = out.config;

  // Phase 1: the config file sets the defaults that env and flags override.
  std::string config_path;
  if (const char* env = std::getenv("LATCHKEY_CONFIG")) config_path = env;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) config_path = argv[i + 1];
    if (a.starts_with("--config=")) config_path = std::string(a.substr(9));
  }
  if (!config_path.empty()) {
    if (auto s = apply_toml_file(config_path, c); !s) return fail(s.error());
  }

  // Phase 2: environment and flags (CLI11 gives flags precedence over env).
  CLI::App app{"latchkeyd: the latchkey API access server"};
  app.set_version_flag("--version", "latchkeyd 0.1.0");
  app.add_option("--config", config_path, "TOML configuration file")->envname("LATCHKEY_CONFIG");
  app.add_option("--listen", c.listen, "HOST:PORT to listen on")
      ->envname("LATCHKEY_LISTEN")
      ->capture_default_str();
  app.add_option("--data", c.data_dir, "data directory (SQLite store)")
      ->envname("LATCHKEY_DATA")
      ->capture_default_str();
  app.add_option("--store", c.store,
                 "postgres://USER@HOST:PORT/DB: share a PostgreSQL store between nodes "
                 "(default: the embedded SQLite in --data)")
      ->envname("LATCHKEY_STORE");
  app.add_option("--store-pool-size", c.store_pool_size,
                 "PostgreSQL connections this process keeps at most (default 16)")
      ->envname("LATCHKEY_STORE_POOL_SIZE");
  app.add_option("--threads", c.io_threads, "I/O threads, 0 = one per core")
      ->envname("LATCHKEY_THREADS");
  app.add_option("--tls-cert", c.tls_cert, "PEM certificate chain: serve HTTPS")
      ->envname("LATCHKEY_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "PEM private key")->envname("LATCHKEY_TLS_KEY");
  app.add_option("--account-token-ttl", c.account_token_ttl_seconds,
                 "lifetime of account tokens in seconds (default one year)")
      ->envname("LATCHKEY_ACCOUNT_TOKEN_TTL");
  app.add_option("--token-interference-threshold", c.token_interference_threshold,
                 "alarm when one user's account token is issued more than this many times "
                 "within an hour from several addresses (default 5; 0: off)")
      ->envname("LATCHKEY_TOKEN_INTERFERENCE_THRESHOLD");
  app.add_option("--bootstrap-file", c.bootstrap_file,
                 "on first start, also write the admin credentials here as JSON (mode 0600)")
      ->envname("LATCHKEY_BOOTSTRAP_FILE");
  app.add_option("--ready-file", c.ready_file, "write the server URL here once listening")
      ->envname("LATCHKEY_READY_FILE");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|off")
      ->envname("LATCHKEY_LOG_LEVEL");
  app.add_option("--log-format", c.log_format,
                 "json|text|auto: every stderr line as a JSON object or as text (auto: json "
                 "unless stderr is a terminal)")
      ->envname("LATCHKEY_LOG_FORMAT")
      ->capture_default_str();
  app.add_option("--access-log", c.access_log, "log one line per request (true/false)")
      ->envname("LATCHKEY_ACCESS_LOG");
  app.add_option("--max-body-bytes", c.max_body_bytes, "largest accepted request body")
      ->envname("LATCHKEY_MAX_BODY_BYTES");
  app.add_option("--max-header-bytes", c.max_header_bytes, "largest accepted request header")
      ->envname("LATCHKEY_MAX_HEADER_BYTES");
  app.add_option("--read-timeout-ms", c.read_timeout_ms, "time allowed to receive one request")
      ->envname("LATCHKEY_READ_TIMEOUT_MS");
  app.add_option("--idle-timeout-ms", c.idle_timeout_ms, "keep-alive idle time before closing")
      ->envname("LATCHKEY_IDLE_TIMEOUT_MS");
  app.add_option("--max-connections", c.max_connections,
                 "most open client connections (0: derived from the descriptor limit)")
      ->envname("LATCHKEY_MAX_CONNECTIONS");
  app.add_option("--max-connections-per-client", c.max_connections_per_client,
                 "most open connections per client address (0: max-connections / 8, at least 64)")
      ->envname("LATCHKEY_MAX_CONNECTIONS_PER_CLIENT");
  app.add_option("--max-requests-per-connection", c.max_requests_per_connection,
                 "a keep-alive connection closes after this many responses (0: unlimited)")
      ->envname("LATCHKEY_MAX_REQUESTS_PER_CONNECTION");
  app.add_option("--max-connection-age-s", c.max_connection_age_s,
                 "a keep-alive connection closes after its first response past this age (0: off)")
      ->envname("LATCHKEY_MAX_CONNECTION_AGE_S");
  app.add_option("--trusted-proxy", c.trusted_proxies,
                 "CIDR block of a proxy whose X-Forwarded-For / PROXY header names the client "
                 "(repeatable; replaces the config file's list)")
      ->delimiter(',')
      ->envname("LATCHKEY_TRUSTED_PROXIES");
  app.add_flag("--proxy-protocol", c.proxy_protocol,
               "trusted proxies open each connection with a PROXY protocol v1/v2 header")
      ->envname("LATCHKEY_PROXY_PROTOCOL");
  app.add_option("--key-max-validity-days", c.key_max_validity_days,
                 "longest validity of a new API key, 1..365 days")
      ->envname("LATCHKEY_KEY_MAX_VALIDITY_DAYS");
  app.add_option("--key-last-used-flush-ms", c.key_last_used_flush_ms,
                 "how often API keys' last-used times are written (one batch)")
      ->envname("LATCHKEY_KEY_LAST_USED_FLUSH_MS");
  app.add_option("--usage-retention-days", c.usage_retention_days,
                 "days the usage per API key is kept (daily rows), 1..3650 (default 90)")
      ->envname("LATCHKEY_USAGE_RETENTION_DAYS");
  app.add_option("--usage-hourly-retention-days", c.usage_hourly_retention_days,
                 "days the hourly usage rows are kept, 1..usage_retention_days (default 14)")
      ->envname("LATCHKEY_USAGE_HOURLY_RETENTION_DAYS");
  app.add_option("--metrics-top-keys", c.metrics_top_keys,
                 "API keys with their own series on /metrics, 0..1000 (default 0: off; /metrics "
                 "needs no token)")
      ->envname("LATCHKEY_METRICS_TOP_KEYS");
  app.add_option("--secret-max-age-days", c.secret_max_age_days,
                 "Client Secrets and API keys are due for rotation at this age (0: never; "
                 "default 90)")
      ->envname("LATCHKEY_SECRET_MAX_AGE_DAYS");
  app.add_option("--secret-hard-max-age-days", c.secret_hard_max_age_days,
                 "refuse token issuance with a secret or key older than this (0: off)")
      ->envname("LATCHKEY_SECRET_HARD_MAX_AGE_DAYS");
  app.add_option("--key-expiring-soon-days", c.key_expiring_soon_days,
                 "an active API key expiring within this many days is reported (default 14)")
      ->envname("LATCHKEY_KEY_EXPIRING_SOON_DAYS");
  app.add_option("--key-login-token-ttl", c.key_login_token_ttl_seconds,
                 "lifetime of POST /auth/login tokens in seconds (default 7200)")
      ->envname("LATCHKEY_KEY_LOGIN_TOKEN_TTL");
  app.add_option("--key-access-token-ttl", c.key_access_token_ttl_seconds,
                 "lifetime of POST /v2/auth/token/access tokens in seconds (default 900)")
      ->envname("LATCHKEY_KEY_ACCESS_TOKEN_TTL");
  app.add_option("--jwt-issuer", c.jwt_issuer,
                 "iss claim of issued JWTs and the metadata issuer (default: public_url, else "
                 "the URL latchkeyd listens on)")
      ->envname("LATCHKEY_JWT_ISSUER");
  app.add_option("--jwt-audience", c.jwt_audience, "aud claim of issued JWTs")
      ->envname("LATCHKEY_JWT_AUDIENCE");
  app.add_option("--signing-key-rotation-days", c.signing_key_rotation_days,
                 "rotate the JWT signing key every this many days (0: never)")
      ->envname("LATCHKEY_SIGNING_KEY_ROTATION_DAYS");
  app.add_option("--oauth-access-token-ttl", c.oauth_access_token_ttl_seconds,
                 "lifetime of POST /oauth/token tokens in seconds (default 3600)")
      ->envname("LATCHKEY_OAUTH_ACCESS_TOKEN_TTL");
  app.add_option("--public-url", c.public_url,
                 "absolute URL clients reach this server at (OAuth metadata; default: from Host)")
      ->envname("LATCHKEY_PUBLIC_URL");
  app.add_option("--extra-modules", c.extra_modules,
                 "extra permission modules, comma-separated (docs/permissions.md)")
      ->delimiter(',')
      ->envname("LATCHKEY_EXTRA_MODULES");
  app.add_option("--rate-limit-per-minute", c.rate_limit_per_minute,
                 "requests per minute per API key (0: unlimited; default 60)")
      ->envname("LATCHKEY_RATE_LIMIT_PER_MINUTE");
  app.add_option("--concurrency-per-route", c.concurrency_per_route,
                 "in-flight requests per API key per route (0: unlimited; default 5)")
      ->envname("LATCHKEY_CONCURRENCY_PER_ROUTE");
  app.add_option("--auth-throttle-client-failures", c.auth_throttle_client_failures,
                 "failed authentications per client id before delays start (default 5)")
      ->envname("LATCHKEY_AUTH_THROTTLE_CLIENT_FAILURES");
  app.add_option("--auth-throttle-ip-failures", c.auth_throttle_ip_failures,
                 "failed authentications per source IP before delays start (default 20)")
      ->envname("LATCHKEY_AUTH_THROTTLE_IP_FAILURES");
  app.add_option("--auth-throttle-max-delay-s", c.auth_throttle_max_delay_s,
                 "longest authentication delay in seconds (default 300)")
      ->envname("LATCHKEY_AUTH_THROTTLE_MAX_DELAY_S");
  app.add_option("--auth-throttle-forget-s", c.auth_throttle_forget_s,
                 "seconds without a failure after which a failure count is forgotten (900)")
      ->envname("LATCHKEY_AUTH_THROTTLE_FORGET_S");
  app.add_flag("--insecure-test-clock", c.insecure_test_clock,
               "TESTS ONLY: expose POST /_test/clock/advance");
  app.add_flag("--insecure-test-faults", c.insecure_test_faults,
               "TESTS ONLY: wrap the store in a fault injector armed by POST /_test/faults");
  // The main options also follow the subcommand: `recover-admin --data DIR`.
  CLI::App* recover_admin = app.add_subcommand(
      "recover-admin",
      "offline, with latchkeyd stopped: issue a new Client Secret for the admin user, print it "
      "once (and write --bootstrap-file), record admin.recovered in the audit trail");
  recover_admin->fallthrough();
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    out.exit_now = true;
    if (e.get_exit_code() != 0) {  // a bad flag: the caller says so in the log format
      out.exit_code = e.get_exit_code();
      out.error = std::string(e.what()) + " (run with --help for more information)";
      return out;
    }
    out.exit_code = app.exit(e);  // --help, --version: on stdout
    return out;
  }
  if (auto s = validate(c); !s) return fail(s.error());
  out.recover_admin = recover_admin->parsed();
  return out;
}

std::string effective_issuer(const Config& config, std::string_view bound_url) {
  if (!config.jwt_issuer.empty()) return config.jwt_issuer;
  std::string url = config.public_url.empty() ? std::string(bound_url) : config.public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace latchkey::server
