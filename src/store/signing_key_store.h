// SigningKeyStore: the ES256 keys that sign JWTs (seeds 003, 004): the
// current key and earlier ones, kept through rotation until no token they
// signed can still be valid.
//
// The private keys live here (PKCS#8 PEM) so that tokens survive a restart;
// the store's files are the server's secrets (mode 0700 data directory).
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/records.h"

namespace latchkey {

struct SigningKeyRecord {
  std::string kid;
  std::string private_key_pem;
  Instant created_at;
  std::optional<Instant> retired_at;  // empty for the current key
  // Last instant a token signed by this key can be valid (retired_at plus
  // the longest token lifetime); meaningful once retired.
  std::optional<Instant> verify_until;
};

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // Every stored key, oldest first.
  virtual Result<std::vector<SigningKeyRecord>> list_signing_keys() = 0;

  // In one transaction: every key not yet retired is retired at `now` with
  // `verify_until`, and `next` (not retired) becomes the current key. With
  // `only_if_current_older_than`, nothing is written (returns false) when the
  // current key was created at or after that instant, so that concurrent
  // automatic rotations on several nodes rotate once. kConflict for a taken kid.
  virtual Result<bool> rotate_signing_key(const SigningKeyRecord& next, Instant now,
                                          Instant verify_until,
                                          std::optional<Instant> only_if_current_older_than) = 0;

  // Deletes retired keys whose verify_until is before `now`; returns how many.
  virtual Result<int> prune_signing_keys(Instant now) = 0;
};

}  // namespace latchkey
