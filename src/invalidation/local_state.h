// LocalState: what a message from another node evicts or reloads on this
// one. server/invalidation_wiring.cc implements it over the real services;
// tests implement it with fakes. apply() is the one mapping from a message
// to these calls.
//
// Thread-safety: implementations are called from the bus's listener thread
// while requests are served.
#pragma once

#include <string_view>

#include "core/error.h"
#include "core/secret.h"
#include "core/time.h"
#include "invalidation/message.h"

namespace latchkey::invalidation {

class LocalState {
 public:
  virtual ~LocalState() = default;

  // u: every cache holding the user (clients, account tokens, permissions,
  // JWT principals).
  virtual void forget_user(std::string_view user_id) = 0;
  // a: the user's cached account tokens.
  virtual void forget_account_tokens_of_user(std::string_view user_id) = 0;
  // t: one cached account token.
  virtual void forget_account_token(const Digest& digest) = 0;
  // k: memory forgets the key (the next lookup reads the store; no store
  // I/O here), and its tokens' cached principals.
  virtual void forget_key(std::string_view key_id) = 0;
  // s: the session's tokens are refused until `until`.
  virtual void refuse_login_session(std::string_view key_id, std::string_view session_id,
                                    Instant until) = 0;
  // j: the JWT is refused until `until`.
  virtual void refuse_token_id(std::string_view jti, Instant until) = 0;
  // p: every cached permission and the application catalogue.
  virtual void forget_policy() = 0;

  // Fail-safe (receiver.h): drop every cache (nothing cached is served
  // afterwards until trust is restored), and reload the in-memory state a
  // missed message could have changed (keys, revoked JWTs and sessions,
  // signing keys) from the store.
  virtual void drop_caches() = 0;
  virtual Status reload_from_store() = 0;
};

// Applies one message from another node. Never reads the store: kSigningKeys
// and kResync are the Receiver's (a reload of everything while degraded, see
// receiver.h).
void apply(const Message& message, LocalState& state);

}  // namespace latchkey::invalidation
