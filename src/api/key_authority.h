// KeyServiceAuthority: the keys area (keys/key_service.h) as the
// ApiKeyAuthority that JwtService builds on (tokens/jwt_service.h).
//
// Thread-safety: that of KeyService (safe from any thread).
#pragma once

#include "store/store.h"
#include "tokens/jwt_service.h"

namespace latchkey::keys {
class KeyService;
}

namespace latchkey::api {

class KeyServiceAuthority final : public ApiKeyAuthority {
 public:
  KeyServiceAuthority(keys::KeyService& keys, Store& store, const Clock& clock)
      : keys_(keys), store_(store), clock_(clock) {}

  Result<ApiKeyFacts> authenticate_key(std::string_view api_key) override;
  Result<ApiKeyFacts> find_key(std::string_view key_id) override;
  bool key_active(std::string_view key_id) override;
  Error key_refusal(std::string_view key_id) override;
  void note_used(std::string_view key_id) override;

 private:
  keys::KeyService& keys_;
  Store& store_;
  const Clock& clock_;
};

}  // namespace latchkey::api
