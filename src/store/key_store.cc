#include "store/key_store.h"

namespace latchkey {

std::string_view to_string(KeyStatus status) {
  switch (status) {
    case KeyStatus::kActive:
      return "active";
    case KeyStatus::kInactive:
      return "inactive";
    case KeyStatus::kExpired:
      return "expired";
    case KeyStatus::kRotated:
      return "rotated";
  }
  return "inactive";
}

}  // namespace latchkey
