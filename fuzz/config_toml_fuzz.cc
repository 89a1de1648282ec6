// The TOML configuration file (src/server/config.cc config_from_toml: the
// file half of load_config, including [[route_rules]], [[gateway_routes]]
// and [[role_limits]] compilation and the validation of every value).
//
// Properties: a refusal is kInvalidRequest with a message for the operator;
// an accepted configuration passes the checks latchkeyd relies on (a
// HOST:PORT listen address, positive limits and timeouts, a data directory).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = latchkey::fuzz::as_text(data, size);
  const auto config = latchkey::server::config_from_toml(text);
  if (!config) {
    FUZZ_CHECK(config.error().code == latchkey::ErrorCode::kInvalidRequest);
    FUZZ_CHECK(!config.error().description.empty());
    return 0;
  }
  FUZZ_CHECK(!config->host().empty());
  (void)config->port();
  FUZZ_CHECK(!config->data_dir.empty());
  FUZZ_CHECK(config->max_body_bytes > 0 && config->max_header_bytes > 0);
  FUZZ_CHECK(config->read_timeout_ms > 0 && config->idle_timeout_ms > 0);
  FUZZ_CHECK(config->account_token_ttl_seconds > 0);
  return 0;
}
