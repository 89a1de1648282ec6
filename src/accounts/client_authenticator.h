// ClientAuthenticator: proves a Client ID + Secret (seed 000) and returns
// the user they belong to, or says why not.
//
// Unknown client ids and wrong secrets get the same answer, so a client id
// cannot be confirmed by guessing secrets; the secret's digest is compared
// in constant time. A correct secret of a disabled user or of a user without
// API access is refused with that reason (seed 001: "returns 401 on every
// call").
//
// Timing (docs/security/echo-and-timing.md): an unknown client id, a wrong
// secret and a disabled user's right secret do the same work, so response
// times do not tell them apart. A first sight of any client id reads the
// store twice (the credential, then its user; an unknown id reads a user
// that does not exist) and compares one digest; a repeat is answered from
// memory with one digest comparison: known ids from the cache below, unknown
// ids from a bounded set of ids known to be absent (compared against a
// dummy digest).
//
// Verified clients are cached by client id (digest of the secret and the
// user record), so that a repeated authentication compares in memory and
// reads nothing from the store. Whoever changes a user's client or state
// (secret reset, disable, API access) calls forget_user() after the commit
// and before answering (UserService's on_user_changed hook): the next
// authentication then reads the store. A reader that raced with a change
// does not cache what it read (the epoch moved).
//
// Rotation with overlap (docs/rotation.md): a client may have a previous
// secret beside the current one. It is accepted while the injected clock is
// before its lapse and refused after it with reason "rotated". Every
// authentication compares the presented digest with two digests (the
// current one and the previous one, or a stand-in when there is none; an
// unknown id compares with two stand-ins), so the work does not tell an
// unknown client from a wrong secret, nor a client with a previous secret
// from one without.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/cache_trust.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace latchkey {

// What one authenticate() call did; every refusal must do the same.
struct AuthenticationWork {
  int store_reads = 0;
  // Constant-time comparisons of the presented secret's digest: two per
  // call (the current secret and the previous one, or stand-ins).
  int digest_compares = 0;
  friend bool operator==(const AuthenticationWork&, const AuthenticationWork&) = default;
};

struct AuthenticatedClient {
  User user;
  std::string client_id;
  // When the user's current Client Secret was set (its age, docs/secret-age.md).
  Instant secret_created_at;
};

class ClientAuthenticator {
 public:
  // Previous secrets lapse by `clock` (the wall clock without one).
  explicit ClientAuthenticator(Store& store);
  ClientAuthenticator(Store& store, const Clock& clock);

  // kInvalidClient (reason empty, "user_disabled", "api_access_disabled" or
  // "rotated": the client's previous secret after its lapse), or the
  // store's kUnavailable/kInternal.
  Result<AuthenticatedClient> authenticate(std::string_view client_id, std::string_view secret);

  // Drops the cached client of `user_id`.
  void forget_user(std::string_view user_id);
  // Drops every cached client and known-absent id.
  void forget_all();
  // Several nodes (invalidation/): while `trust` is withdrawn, nothing is
  // answered from or put into the caches. Wiring, before serving.
  void set_cache_trust(const CacheTrust* trust) { trust_ = trust; }

  std::size_t cached() const;

  // The work of the last authenticate() on the calling thread (tests).
  static AuthenticationWork last_work();

 private:
  struct Cached {
    Digest secret_digest;
    std::optional<Digest> previous_digest;
    std::optional<Instant> previous_expires_at;
    User user;
    Instant secret_created_at;
  };
  Result<AuthenticatedClient> judge(std::string_view client_id, const Digest& presented,
                                    const Cached& stored) const;

  Result<AuthenticatedClient> refuse_unknown(const Digest& presented) const;

  Store& store_;
  const Clock& clock_;
  const CacheTrust* trust_ = nullptr;
  const Digest no_client_digest_;    // matches no well-formed secret
  const Digest no_previous_digest_;  // the same, for a client without a previous secret
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Cached> by_client_;  // GUARDED_BY(mu_)
  std::unordered_set<std::string> unknown_;            // GUARDED_BY(mu_): ids with no credential
  std::uint64_t epoch_ = 0;                            // GUARDED_BY(mu_): bumped by forget_user
};

}  // namespace latchkey
