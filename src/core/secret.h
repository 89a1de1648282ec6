// latchkey secrets: generation, format check, digest and masking.
//
// Every secret is `<prefix><43 base62 chars = 256 random bits><6 base62 chars
// = CRC32 of everything before it>`, e.g. `lk_sec_...`. The prefix lets leak
// scanners find them; the checksum rejects typos and random strings before
// any store lookup. The server keeps only the SHA-256 digest of a secret and
// compares digests in constant time. Nothing here logs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.h"

namespace latchkey {

enum class SecretKind {
  kClientSecret,    // lk_sec_  (seed 000 Client Secret)
  kApiKey,          // lk_key_  (seeds 002-004)
  kAccessToken,     // lk_at_   (seed 000 opaque account token)
  kConsoleSession,  // lk_cs_   (the web console's session cookie)
  kInvitation,      // lk_inv_  (a console invitation link)
};

std::string_view secret_prefix(SecretKind kind);

inline constexpr std::size_t kSecretBodyChars = 43;
inline constexpr std::size_t kSecretChecksumChars = 6;

std::string generate_secret(SecretKind kind, Random& random);

// True when `text` has the prefix of `kind`, the exact length and a valid
// checksum. Says nothing about whether the secret exists.
bool is_well_formed_secret(std::string_view text, SecretKind kind);

// The kind of a well-formed secret, for scanners; nullopt otherwise.
std::optional<SecretKind> classify_secret(std::string_view text);

using Digest = std::array<std::uint8_t, 32>;

// SHA-256 of the whole secret string.
Digest digest_secret(std::string_view secret);

// Constant-time equality (CRYPTO_memcmp).
bool digests_equal(const Digest& a, const Digest& b);

// "••••" followed by the last 4 characters: the only form of a secret that is
// ever listed, logged or exported after its one-time reveal.
std::string mask_secret(std::string_view secret);

// `text` with every run that starts like a latchkey secret (a known prefix
// and at least 8 base62 characters) or looks like a JWT (three base64url
// segments, the first starting "eyJ") masked with mask_secret(), checksum or
// not: for log lines and audit records built from client input.
std::string redact_secrets(std::string_view text);

// True when `text` holds anything redact_secrets() would mask.
bool contains_secret_like(std::string_view text);

}  // namespace latchkey
