#include "accounts/client_authenticator.h"

namespace latchkey {
namespace {

constexpr std::size_t kMaxCachedClients = 100'000;

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
  std::uint64_t epoch = 0;
  {
    std::shared_lock lock(mu_);
    epoch = epoch_;
    if (auto it = by_client_.find(std::string(client_id)); it != by_client_.end()) {
      Cached hit = it->second;
      lock.unlock();
      return judge(client_id, presented, hit.secret_digest, std::move(hit.user));
    }
  }
  auto credential = store_.find_client_credential(client_id);
  if (!credential) return fail(credential.error());
  if (!credential->has_value()) {
    digests_equal(presented, Digest{});  // same work as a real comparison
    return fail(bad_credentials());
  }
  auto user = store_.get_user((*credential)->user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) return fail(bad_credentials());
    return fail(user.error());
  }
  {
    std::unique_lock lock(mu_);
    // Bounded: past the bound, clients are checked against the store.
    if (epoch_ == epoch && by_client_.size() < kMaxCachedClients) {
      by_client_.insert_or_assign(std::string(client_id),
                                  Cached{(*credential)->secret_digest, *user});
    }
  }
  return judge(client_id, presented, (*credential)->secret_digest, std::move(*user));
}

Result<AuthenticatedClient> ClientAuthenticator::judge(std::string_view client_id,
                                                       const Digest& presented,
                                                       const Digest& stored, User user) const {
  if (!digests_equal(presented, stored)) return fail(bad_credentials());
  if (user.disabled) {
    return fail(
        Error::invalid_client("the user of this client is disabled").with_reason("user_disabled"));
  }
  if (!user.api_access) {
    return fail(Error::invalid_client("API access is not enabled for the user of this client")
                    .with_reason("api_access_disabled"));
  }
  return AuthenticatedClient{std::move(user), std::string(client_id)};
}

void ClientAuthenticator::forget_user(std::string_view user_id) {
  std::unique_lock lock(mu_);
  ++epoch_;
  std::erase_if(by_client_, [&](const auto& entry) { return entry.second.user.id == user_id; });
}

std::size_t ClientAuthenticator::cached() const {
  std::shared_lock lock(mu_);
  return by_client_.size();
}

}  // namespace latchkey
