// What changed between the running configuration and a newly loaded one,
// split into what a SIGHUP reload applies and what needs a restart
// (docs/operations.md lists both).
#pragma once

#include <string>
#include <vector>

#include "server/config.h"

namespace latchkey::server {

struct ConfigDiff {
  // Changed settings, by their TOML key names, in the order of the docs.
  std::vector<std::string> reloadable;     // applied by a reload
  std::vector<std::string> needs_restart;  // kept at their running value until a restart
  bool empty() const { return reloadable.empty() && needs_restart.empty(); }
};

ConfigDiff diff_config(const Config& running, const Config& next);

// `running` with the reloadable settings of `next`: what is in force after a
// reload (settings that need a restart keep their running values).
Config with_reloadable_settings(const Config& running, const Config& next);

// "a, b and c" (for log lines).
std::string join_settings(const std::vector<std::string>& names);

}  // namespace latchkey::server
