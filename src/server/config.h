// latchkeyd configuration: defaults, overridden by a TOML file
// (--config / LATCHKEY_CONFIG), overridden by environment variables
// (LATCHKEY_*), overridden by command-line flags. Parsed once at start-up.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace latchkey::server {

struct Config {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string data_dir = "./latchkey-data";
  int io_threads = 0;  // 0: one per core
  std::string tls_cert;
  std::string tls_key;
  std::int64_t account_token_ttl_seconds = 365LL * 24 * 3600;  // seed 000: one year
  std::string bootstrap_file;  // also write the first admin's credentials here (mode 0600)
  std::string ready_file;      // write the server URL here once listening
  std::string log_level = "info";
  bool access_log = true;
  std::int64_t max_body_bytes = 64 * 1024;
  std::int64_t max_header_bytes = 8 * 1024;
  std::int64_t read_timeout_ms = 10'000;
  std::int64_t idle_timeout_ms = 60'000;
  bool insecure_test_clock = false;  // tests only: POST /_test/clock/advance

  // Derived from `listen`.
  std::string host() const;
  std::uint16_t port() const;
};

struct ParsedCommandLine {
  Config config;
  bool exit_now = false;  // --help or --version was printed
  int exit_code = 0;
};

// kInvalidRequest with a message for the operator on any bad value, unknown
// TOML key or unreadable file.
Result<ParsedCommandLine> load_config(int argc, const char* const* argv);

}  // namespace latchkey::server
