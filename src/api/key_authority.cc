#include "api/key_authority.h"

#include "keys/key_service.h"
#include "store/key_store.h"

namespace latchkey::api {
namespace {

ApiKeyFacts facts_of(const ApiKey& key) {
  return ApiKeyFacts{key.id,        key.user_id,    key.masked,         key.role_id,
                     key.read_only, key.expires_at, key.allowed_origins};
}

}  // namespace

Result<ApiKeyFacts> KeyServiceAuthority::authenticate_key(std::string_view api_key) {
  auto key = keys_.authenticate(api_key);
  if (!key) return fail(key.error());
  return facts_of(*key);
}

// KeyService has no lookup by id for other services, so this reads the key
// store; only called on a verified-token cache miss and for session listing.
Result<ApiKeyFacts> KeyServiceAuthority::find_key(std::string_view key_id) {
  auto key = store_.keys().find_key(key_id);
  if (!key) return fail(key.error());
  if (!*key) return fail(Error::not_found("no such API key"));
  return facts_of(**key);
}

bool KeyServiceAuthority::key_active(std::string_view key_id) {
  return keys_.is_active(key_id, clock_.now());
}

Error KeyServiceAuthority::key_refusal(std::string_view key_id) {
  // Tokens follow their key (docs/rotation.md): a rerolled key's lapse
  // ends them with the same reason.
  auto key = keys_.find(key_id);
  if (key && *key && (*key)->status == KeyStatus::kRotated) return keys::rotated_key_error(**key);
  return ApiKeyAuthority::key_refusal(key_id);
}

void KeyServiceAuthority::note_used(std::string_view key_id) {
  keys_.note_used(key_id, clock_.now());
}

}  // namespace latchkey::api
