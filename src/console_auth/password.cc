#include "console_auth/password.h"

#include <sodium.h>

namespace latchkey::console_auth {
namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::size_t utf8_chars(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace

Status check_password_rules(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return fail(Error::invalid_request("the password is longer than 1024 bytes")
                    .with_reason("password_too_long"));
  }
  if (utf8_chars(password) < kMinPasswordChars) {
    return fail(Error::invalid_request("the password must have at least 12 characters")
                    .with_reason("password_too_short"));
  }
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return fail(Error::internal("libsodium could not be initialised"));
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Error::internal("hashing the password failed (out of memory)"));
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (!sodium_ready()) return false;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(hash);  // crypto_pwhash_str_verify wants a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

namespace {

// Made once with the same limits as every stored hash, so that the
// verification costs the same. Its password (too short to be accepted
// anywhere) never matters: the result is thrown away.
const std::string& dummy_hash() {
  static const std::string dummy = [] {
    auto hash = hash_password("dummy");
    return hash ? *hash : std::string();
  }();
  return dummy;
}

}  // namespace

void prepare_dummy_hash() { (void)dummy_hash(); }

void verify_against_dummy(std::string_view password) {
  (void)verify_password(dummy_hash(), password);
}

std::string generate_password(Random& random) { return random_base62(random, 24); }

}  // namespace latchkey::console_auth
