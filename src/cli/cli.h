// The `latchkey` command line, as a function: run_cli() parses `args`,
// talks to the server and writes results to `out` (JSON) and diagnostics to
// `err`. Everything it would take from the process (environment variables,
// the network, the clock) comes through CliEnvironment, so tests drive the
// whole CLI with a fake transport and no server. main.cc wires the real ones.
//
// Exit codes: kExitOk, kExitRefused (the server answered and refused),
// kExitUsage (bad usage, missing credentials, or no usable connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "latchkey/client/token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

struct CliEnvironment {
  // Looks up an environment variable; nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<std::shared_ptr<client::Transport>(const client::TransportOptions&)> make_transport;
  client::UnixClock clock;  // default: system clock
};

// The real process environment: getenv(3), libcurl, the system clock.
CliEnvironment process_environment();

// `args` excludes the program name.
int run_cli(const std::vector<std::string>& args, const CliEnvironment& env, std::ostream& out,
            std::ostream& err);

}  // namespace latchkey::cli
