// SigningKeyRing: the ES256 keys that sign and verify latchkey's JWTs, in
// memory, persisted through SigningKeyStore so that tokens survive restarts.
//
// One key is current (signs new tokens). Rotation makes a new key current
// and retires the old one with verify_until = now + the longest token
// lifetime: a token it signed keeps verifying until it expires, and the key
// stays in the JWKS exactly as long. After that the key is unknown (its
// tokens are refused as unknown_key) and prune() deletes it.
//
// Rotation happens on demand (rotate(), the admin endpoint) and
// automatically when the current key is older than the rotation period
// (rotate_if_due(), called by the issuing path and by maintenance).
//
// Thread-safety: every method is safe from any thread; the key set is
// replaced copy-on-write under a mutex, readers take a snapshot.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/signing_key_store.h"
#include "tokens/jws_es256.h"

namespace latchkey {

struct RingKey {
  std::string kid;
  std::shared_ptr<const Es256Key> key;
  Instant created_at;
  std::optional<Instant> retired_at;
  std::optional<Instant> verify_until;  // set once retired
};

class SigningKeyRing {
 public:
  // `max_token_ttl`: the longest lifetime of a token any key signs.
  // `rotation_period`: zero disables automatic rotation.
  SigningKeyRing(SigningKeyStore& store, const Clock& clock, Random& random, Duration max_token_ttl,
                 Duration rotation_period);

  // Reads the keys from the store, creating the first key when there is none.
  Status load();

  // The key that signs new tokens (load() must have succeeded).
  RingKey current() const;
  // The key of `kid` if it can still verify a token at `now`, else null.
  std::shared_ptr<const Es256Key> find(std::string_view kid, Instant now) const;

  // A new current key now; the previous one is retired with overlap.
  Result<RingKey> rotate();
  // Rotates when the current key is older than the rotation period. Returns
  // whether a rotation happened (here or on another node).
  Result<bool> rotate_if_due();
  // The keys as the store has them now (another node rotated).
  Status reload();
  // Forgets keys that can no longer verify any token (memory and store).
  Result<int> prune();

  // Every key that can still verify a token at `now`, oldest first.
  std::vector<RingKey> usable_keys(Instant now) const;
  // {"keys":[jwk, ...]} of usable_keys(now).
  std::string jwks_json(Instant now) const;

 private:
  Result<RingKey> rotate_locked(std::optional<Instant> only_if_older_than, bool* rotated);
  Status reload_locked();

  SigningKeyStore& store_;
  const Clock& clock_;
  Random& random_;
  const Duration max_token_ttl_;
  const Duration rotation_period_;

  std::mutex write_mu_;  // serialises rotations and reloads
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<RingKey>> keys_;  // GUARDED_BY(mu_); oldest first
};

}  // namespace latchkey
