// What binary this is. Defined in a file the build writes (cmake/
// BuildVersion.cmake) and rewrites only when a value changes, so that a new
// commit recompiles that one file and relinks, nothing else.
#pragma once

#include <string_view>

namespace latchkey::metrics {

struct BuildVersion {
  std::string_view version;     // the project version, "0.1.0"
  std::string_view commit;      // git commit (12 hex, "-dirty" when modified), or "unknown"
  std::string_view build_type;  // CMAKE_BUILD_TYPE
  std::string_view compiler;    // "GNU 12.2.0"
};

const BuildVersion& build_version();

}  // namespace latchkey::metrics
