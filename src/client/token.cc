#include "latchkey/client/token.h"

namespace latchkey::client {

namespace {
constexpr std::size_t kMaxTokenLength = 4096;
}  // namespace

bool is_plausible_token(const std::string& text) {
  if (text.empty() || text.size() > kMaxTokenLength) return false;
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace latchkey::client
