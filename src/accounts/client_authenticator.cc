#include "accounts/client_authenticator.h"

namespace latchkey {
namespace {

constexpr std::size_t kMaxCachedClients = 100'000;
// Ids known to have no credential; past the bound the set starts over, so
// spraying ids costs memory no longer than that.
constexpr std::size_t kMaxUnknownClients = 100'000;
// Longer ids cannot be ours (cli_ + 20 characters): they are not remembered,
// so the set stays small (at most kMaxUnknownClients x this).
constexpr std::size_t kMaxRememberedIdBytes = 64;
// Read in place of an unknown client's user: no user id has this form.
constexpr std::string_view kNoSuchUser = "usr_-no-such-user-";

thread_local AuthenticationWork tls_work;

Error bad_credentials() {
  return Error::invalid_client("client authentication failed: unknown client id or wrong secret");
}

struct Matches {
  bool current = false;
  bool previous = false;
};

// One constant-time comparison, counted where it runs: removing one of
// compare()'s two changes the count the timing tests expect.
bool counted_equal(const Digest& a, const Digest& b) {
  ++tls_work.digest_compares;
  return digests_equal(a, b);
}

// One check of a presented secret against a client: always two
// constant-time comparisons (the current digest and the previous one, or
// stand-ins).
Matches compare(const Digest& presented, const Digest& current, const Digest& previous) {
  Matches m;
  m.current = counted_equal(presented, current);
  m.previous = counted_equal(presented, previous);
  return m;
}

Error rotated_secret(Instant lapsed_at) {
  const std::string at = format_rfc3339(lapsed_at);
  return Error::invalid_client(
             "this client secret was rotated: it was replaced by a new secret and stopped "
             "working at " +
             at + "; use the current secret")
      .with_reason("rotated")
      .with_detail("rotated_at", at);
}

const Clock& wall_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

ClientAuthenticator::ClientAuthenticator(Store& store) : ClientAuthenticator(store, wall_clock()) {}

ClientAuthenticator::ClientAuthenticator(Store& store, const Clock& clock)
    : store_(store),
      clock_(clock),
      no_client_digest_(digest_secret("latchkey: no such client")),
      no_previous_digest_(digest_secret("latchkey: no previous secret")) {}

AuthenticationWork ClientAuthenticator::last_work() { return tls_work; }

Result<AuthenticatedClient> ClientAuthenticator::authenticate(std::string_view client_id,
                                                              std::string_view secret) {
  tls_work = {};
  // The checksum rejects typos before any lookup (it says nothing about the id).
  if (!is_well_formed_secret(secret, SecretKind::kClientSecret)) {
    return fail(Error::invalid_client(
        "the client secret is malformed: expected lk_sec_ followed by 49 characters with a valid "
        "checksum"));
  }
  const Digest presented = digest_secret(secret);
  std::uint64_t epoch = 0;
  if (!caches_trusted(trust_)) {
    std::shared_lock lock(mu_);
    epoch = epoch_;
  } else {
    std::shared_lock lock(mu_);
    epoch = epoch_;
    if (auto it = by_client_.find(std::string(client_id)); it != by_client_.end()) {
      Cached hit = it->second;
      lock.unlock();
      return judge(client_id, presented, hit);
    }
    if (unknown_.contains(std::string(client_id))) {
      lock.unlock();
      return refuse_unknown(presented);
    }
  }
  ++tls_work.store_reads;
  auto credential = store_.find_client_credential(client_id);
  if (!credential) return fail(credential.error());
  if (!credential->has_value()) {
    // The same second read as a known id's user, then remembered as absent.
    ++tls_work.store_reads;
    if (auto none = store_.get_user(kNoSuchUser);
        !none && none.error().code != ErrorCode::kNotFound) {
      return fail(none.error());
    }
    {
      std::unique_lock lock(mu_);
      if (epoch_ == epoch && client_id.size() <= kMaxRememberedIdBytes && caches_trusted(trust_)) {
        if (unknown_.size() >= kMaxUnknownClients) unknown_.clear();
        unknown_.emplace(client_id);
      }
    }
    return refuse_unknown(presented);
  }
  ++tls_work.store_reads;
  auto user = store_.get_user((*credential)->user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) return refuse_unknown(presented);
    return fail(user.error());
  }
  Cached fresh{(*credential)->secret_digest, (*credential)->previous_secret_digest,
               (*credential)->previous_expires_at, std::move(*user), (*credential)->created_at};
  {
    std::unique_lock lock(mu_);
    // Bounded: past the bound, clients are checked against the store.
    if (epoch_ == epoch && by_client_.size() < kMaxCachedClients && caches_trusted(trust_)) {
      by_client_.insert_or_assign(std::string(client_id), fresh);
    }
  }
  return judge(client_id, presented, fresh);
}

Result<AuthenticatedClient> ClientAuthenticator::refuse_unknown(const Digest& presented) const {
  // The check a known id costs: its secret and its previous one.
  compare(presented, no_client_digest_, no_previous_digest_);
  return fail(bad_credentials());
}

Result<AuthenticatedClient> ClientAuthenticator::judge(std::string_view client_id,
                                                       const Digest& presented,
                                                       const Cached& stored) const {
  // Both comparisons always run (constant time, the same work either way).
  const bool has_previous = stored.previous_digest && stored.previous_expires_at;
  const Matches m = compare(presented, stored.secret_digest,
                            has_previous ? *stored.previous_digest : no_previous_digest_);
  if (!m.current) {
    if (!m.previous || !has_previous) return fail(bad_credentials());
    // docs/rotation.md: the previous secret works until its lapse, decided
    // by the injected clock against the stored time (so also after a restart).
    if (clock_.now() >= *stored.previous_expires_at) {
      return fail(rotated_secret(*stored.previous_expires_at));
    }
  }
  const User& user = stored.user;
  if (user.disabled) {
    return fail(
        Error::invalid_client("the user of this client is disabled").with_reason("user_disabled"));
  }
  if (!user.api_access) {
    return fail(Error::invalid_client("API access is not enabled for the user of this client")
                    .with_reason("api_access_disabled"));
  }
  return AuthenticatedClient{user, std::string(client_id), stored.secret_created_at};
}

void ClientAuthenticator::forget_user(std::string_view user_id) {
  std::unique_lock lock(mu_);
  ++epoch_;
  std::erase_if(by_client_, [&](const auto& entry) { return entry.second.user.id == user_id; });
  // A new client id (a reset) may be one that was probed before it existed.
  unknown_.clear();
}

void ClientAuthenticator::forget_all() {
  std::unique_lock lock(mu_);
  ++epoch_;
  by_client_.clear();
  unknown_.clear();
}

std::size_t ClientAuthenticator::cached() const {
  std::shared_lock lock(mu_);
  return by_client_.size();
}

}  // namespace latchkey
