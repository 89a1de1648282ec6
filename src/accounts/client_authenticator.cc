#include "accounts/client_authenticator.h"

namespace latchkey {
namespace {

Error bad_credentials() {
  return Error::invalid_client("client authentication failed: unknown client id or wrong secret");
}

}  // namespace

Result<AuthenticatedClient> ClientAuthenticator::authenticate(std::string_view client_id,
                                                              std::string_view secret) {
  // The checksum rejects typos before any lookup.
  if (!is_well_formed_secret(secret, SecretKind::kClientSecret)) {
    return fail(Error::invalid_client(
        "the client secret is malformed: expected lk_sec_ followed by 49 characters with a valid "
        "checksum"));
  }
  const Digest presented = digest_secret(secret);
  auto credential = store_.find_client_credential(client_id);
  if (!credential) return fail(credential.error());
  if (!credential->has_value()) {
    digests_equal(presented, Digest{});  // same work as a real comparison
    return fail(bad_credentials());
  }
  if (!digests_equal(presented, (*credential)->secret_digest)) return fail(bad_credentials());

  auto user = store_.get_user((*credential)->user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) return fail(bad_credentials());
    return fail(user.error());
  }
  if (user->disabled) {
    return fail(
        Error::invalid_client("the user of this client is disabled").with_reason("user_disabled"));
  }
  if (!user->api_access) {
    return fail(Error::invalid_client("API access is not enabled for the user of this client")
                    .with_reason("api_access_disabled"));
  }
  return AuthenticatedClient{std::move(*user), std::string(client_id)};
}

}  // namespace latchkey
