#include "server/config.h"

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <set>

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
  const std::string_view p = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) return false;
  if (host) *host = std::string(h);
  if (port) *port = static_cast<std::uint16_t>(value);
  return true;
}

Status apply_toml_file(const std::string& path, Config& c) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fail(
        Error::invalid_request("config file " + path + ": " + std::string(e.description())));
  }
  static const std::set<std::string, std::less<>> kKnown = {"listen",           "data",
                                                            "threads",          "tls_cert",
                                                            "tls_key",          "account_token_ttl",
                                                            "bootstrap_file",   "log_level",
                                                            "access_log",       "max_body_bytes",
                                                            "max_header_bytes", "read_timeout_ms",
                                                            "idle_timeout_ms"};
  for (const auto& [key, value] : table) {
    if (!kKnown.contains(key.str())) {
      return fail(Error::invalid_request("config file " + path + ": unknown key \"" +
                                         std::string(key.str()) + "\""));
    }
  }
  // A key of the wrong type is an error, never silently ignored.
  std::string wrong_type;
  auto str = [&](const char* key, std::string& out) {
    if (!table.contains(key)) return;
    if (auto v = table[key].value_exact<std::string>())
      out = *v;
    else
      wrong_type = std::string(key) + " must be a string";
  };
  auto num = [&](const char* key, std::int64_t& out) {
    if (!table.contains(key)) return;
    if (auto v = table[key].value_exact<std::int64_t>())
      out = *v;
    else
      wrong_type = std::string(key) + " must be an integer";
  };
  str("listen", c.listen);
  str("data", c.data_dir);
  str("tls_cert", c.tls_cert);
  str("tls_key", c.tls_key);
  str("bootstrap_file", c.bootstrap_file);
  str("log_level", c.log_level);
  std::int64_t threads = c.io_threads;
  num("threads", threads);
  c.io_threads = static_cast<int>(threads);
  num("account_token_ttl", c.account_token_ttl_seconds);
  num("max_body_bytes", c.max_body_bytes);
  num("max_header_bytes", c.max_header_bytes);
  num("read_timeout_ms", c.read_timeout_ms);
  num("idle_timeout_ms", c.idle_timeout_ms);
  if (table.contains("access_log")) {
    if (auto v = table["access_log"].value_exact<bool>())
      c.access_log = *v;
    else
      wrong_type = "access_log must be true or false";
  }
  if (threads > std::numeric_limits<int>::max()) wrong_type = "threads is too large";
  if (!wrong_type.empty()) {
    return fail(Error::invalid_request("config file " + path + ": " + wrong_type));
  }
  return {};
}

Status validate(const Config& c) {
  if (!split_listen(c.listen, nullptr, nullptr)) {
    return fail(Error::invalid_request("listen must be HOST:PORT, got \"" + c.listen + "\""));
  }
  if (c.data_dir.empty()) return fail(Error::invalid_request("data must not be empty"));
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return fail(Error::invalid_request("TLS needs both tls_cert and tls_key"));
  }
  if (c.account_token_ttl_seconds <= 0 || c.account_token_ttl_seconds > kMaxTokenTtlSeconds) {
    return fail(Error::invalid_request(
        "account_token_ttl must be between 1 second and 10 years (315360000 seconds)"));
  }
  if (c.io_threads < 0 || c.max_body_bytes <= 0 || c.max_header_bytes <= 0 ||
      c.read_timeout_ms <= 0 || c.idle_timeout_ms <= 0) {
    return fail(Error::invalid_request("threads, sizes and timeouts must be positive"));
  }
  static const std::set<std::string, std::less<>> kLevels = {"trace", "debug", "info",
                                                             "warn",  "error", "off"};
  if (!kLevels.contains(c.log_level)) {
    return fail(
        Error::invalid_request("log_level must be one of trace, debug, info, warn, error, off"));
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
  app.add_option("--threads", c.io_threads, "I/O threads, 0 = one per core")
      ->envname("LATCHKEY_THREADS");
  app.add_option("--tls-cert", c.tls_cert, "PEM certificate chain: serve HTTPS")
      ->envname("LATCHKEY_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "PEM private key")->envname("LATCHKEY_TLS_KEY");
  app.add_option("--account-token-ttl", c.account_token_ttl_seconds,
                 "lifetime of account tokens in seconds (default one year)")
      ->envname("LATCHKEY_ACCOUNT_TOKEN_TTL");
  app.add_option("--bootstrap-file", c.bootstrap_file,
                 "on first start, also write the admin credentials here as JSON (mode 0600)")
      ->envname("LATCHKEY_BOOTSTRAP_FILE");
  app.add_option("--ready-file", c.ready_file, "write the server URL here once listening")
      ->envname("LATCHKEY_READY_FILE");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|off")
      ->envname("LATCHKEY_LOG_LEVEL");
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
  app.add_flag("--insecure-test-clock", c.insecure_test_clock,
               "TESTS ONLY: expose POST /_test/clock/advance");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  }
  if (auto s = validate(c); !s) return fail(s.error());
  return out;
}

}  // namespace latchkey::server
