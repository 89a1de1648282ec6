#include "latchkey/client/token_cache.h"

namespace latchkey::client {

std::optional<Token> MemoryTokenCache::load() {
  std::lock_guard lock(mu_);
  return token_;
}

Status MemoryTokenCache::store(const Token& token) {
  std::lock_guard lock(mu_);
  token_ = token;
  return {};
}

Status MemoryTokenCache::clear() {
  std::lock_guard lock(mu_);
  token_.reset();
  return {};
}

}  // namespace latchkey::client
