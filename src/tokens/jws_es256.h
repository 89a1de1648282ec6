// ES256 (ECDSA over P-256 with SHA-256, RFC 7518 §3.4) and base64url
// (RFC 4648 §5, no padding) for JWTs, on OpenSSL 3's EVP interface.
//
// Signatures on the wire are the JWS form: raw r || s, 32 bytes each (not
// DER); conversion happens here and nowhere else.
//
// Thread-safety: an Es256Key is immutable after construction; sign() and
// verify() may be called from any thread concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

struct evp_pkey_st;

namespace latchkey {

std::string base64url_encode(std::string_view bytes);
// Unpadded base64url only; nullopt for padding, bad characters, a
// non-canonical final character or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

class Es256Key {
 public:
  // A fresh P-256 key pair from OpenSSL's CSPRNG.
  static Result<Es256Key> generate();
  // From a PKCS#8 PEM private key (as produced by private_pem()); refuses
  // anything that is not a P-256 key.
  static Result<Es256Key> from_private_pem(std::string_view pem);

  // PKCS#8 PEM of the private key, for the signing-key store only.
  std::string private_pem() const;

  // The 64-byte r || s signature of `input`, always in the low form
  // (s <= n / 2): ECDSA's (r, n - s) twin would verify too.
  Result<std::string> sign(std::string_view input) const;
  // True only for a valid 64-byte r || s signature of `input` by this key
  // in the low form; the high-s twin of a valid signature is refused, so a
  // signing has exactly one valid spelling. (Revocation does not rely on
  // it: it is by jti and session, tokens/jwt_service.cc.)
  bool verify(std::string_view input, std::string_view signature) const;

  // Public coordinates, base64url, as in a JWK.
  std::string jwk_x() const { return x_; }
  std::string jwk_y() const { return y_; }
  // {"kty":"EC","crv":"P-256","x":...,"y":...,"kid":...,"use":"sig","alg":"ES256"}
  std::string public_jwk_json(std::string_view kid) const;

 private:
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };
  explicit Es256Key(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  Status load_public_coordinates();

  std::shared_ptr<evp_pkey_st> key_;
  std::string x_;
  std::string y_;
};

}  // namespace latchkey
