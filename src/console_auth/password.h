// Console passwords: argon2id through libsodium's crypto_pwhash_str, with
// the INTERACTIVE limits (ops 2, 64 MiB), the encoded string (algorithm,
// parameters, salt, hash) being what the store keeps. Nothing here logs;
// a password is never part of an error.
//
// Thread-safety: every function is safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/random.h"

namespace latchkey::console_auth {

inline constexpr std::size_t kMinPasswordChars = 12;    // characters (UTF-8 code points)
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // bytes

// kInvalidRequest with reason "password_too_short" (under 12 characters) or
// "password_too_long" (over 1024 bytes).
Status check_password_rules(std::string_view password);

// The argon2id string of `password`; kInternal when libsodium fails (out of
// memory). Does not check the rules.
Result<std::string> hash_password(std::string_view password);

// True when `password` matches `hash` (a string from hash_password). A
// malformed hash is a mismatch.
bool verify_password(std::string_view hash, std::string_view password);

// Spends the time of one verification against a fixed hash, for an unknown
// user, so that the answer's timing does not tell whether the user exists.
void verify_against_dummy(std::string_view password);
// Makes that fixed hash now (at startup), so the first unknown-user sign-in
// does not pay for it. Idempotent.
void prepare_dummy_hash();

// A generated password (bootstrap, recovery): 24 base62 characters, ~142 bits.
std::string generate_password(Random& random);

}  // namespace latchkey::console_auth
