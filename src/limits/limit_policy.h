// The configured LimitPolicy: per field, a key's own override (set by an
// admin with PUT /api/v1/keys/{id}/limits and kept by the key service) wins
// over its role's limits (`[[role_limits]]` in the configuration), which win
// over the defaults (`rate_limit_per_minute`, `concurrency_per_route`).
//
// Thread-safety: for_key() is safe from any thread as long as the override
// lookup is.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "limits/limits.h"

namespace latchkey::limits {

// A key's own override, if any. Called on every limited request: must be
// cheap (an in-memory lookup) and safe from any thread.
using KeyOverrideLookup = std::function<std::optional<LimitOverride>(std::string_view key_id)>;

class ConfiguredLimitPolicy final : public LimitPolicy {
 public:
  ConfiguredLimitPolicy(KeyLimits defaults, std::map<std::string, LimitOverride, std::less<>> roles,
                        KeyOverrideLookup key_overrides = {});

  KeyLimits for_key(std::string_view key_id, std::string_view role_id) const override;

 private:
  KeyLimits defaults_;
  std::map<std::string, LimitOverride, std::less<>> roles_;
  KeyOverrideLookup key_overrides_;
};

}  // namespace latchkey::limits
