#include "tokens/jws_es256.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace latchkey {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kCoordinateBytes = 32;

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

Error crypto_error(std::string what) { return Error::internal("ES256: " + std::move(what)); }

// The order n of P-256 and floor(n / 2), big-endian. ECDSA signatures are
// malleable: (r, s) and (r, n - s) both verify, so anyone holding a token
// could make a second spelling of it without the key. latchkey emits only
// the low form (s <= n / 2) and refuses the high one (RFC 8725 §3.1's
// advice to remove such ambiguity; Bitcoin's BIP 62 rule).
constexpr std::array<unsigned char, kCoordinateBytes> kOrder = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
constexpr std::array<unsigned char, kCoordinateBytes> kHalfOrder = {
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8};

// s of a 64-byte r||s signature, above n / 2.
bool is_high_s(const unsigned char* s) {
  return std::memcmp(s, kHalfOrder.data(), kCoordinateBytes) > 0;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Canonical form: the unused low bits of the last character are zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

void Es256Key::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Result<Es256Key> Es256Key::generate() {
  EVP_PKEY* raw = EVP_EC_gen("P-256");
  if (raw == nullptr) return fail(crypto_error("key generation failed"));
  Es256Key key(std::shared_ptr<evp_pkey_st>(raw, Free{}));
  if (auto loaded = key.load_public_coordinates(); !loaded) return fail(loaded.error());
  return key;
}

Result<Es256Key> Es256Key::from_private_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(crypto_error("out of memory"));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return fail(crypto_error("unreadable private key"));
  Es256Key key(std::shared_ptr<evp_pkey_st>(raw, Free{}));
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_base_id(raw) != EVP_PKEY_EC ||
      EVP_PKEY_get_group_name(raw, group, sizeof group, &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1") {
    return fail(crypto_error("the signing key is not a P-256 key"));
  }
  if (auto loaded = key.load_public_coordinates(); !loaded) return fail(loaded.error());
  return key;
}

Status Es256Key::load_public_coordinates() {
  for (const char* name : {OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y}) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), name, &raw) != 1) {
      return fail(crypto_error("cannot read the public key"));
    }
    std::unique_ptr<BIGNUM, BnFree> bn(raw);
    std::array<unsigned char, kCoordinateBytes> buf{};
    if (BN_bn2binpad(bn.get(), buf.data(), buf.size()) != static_cast<int>(buf.size())) {
      return fail(crypto_error("bad public key coordinate"));
    }
    std::string encoded =
        base64url_encode(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
    (name == std::string_view(OSSL_PKEY_PARAM_EC_PUB_X) ? x_ : y_) = std::move(encoded);
  }
  return {};
}

std::string Es256Key::private_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> Es256Key::sign(std::string_view input) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return fail(crypto_error("sign init failed"));
  }
  std::array<unsigned char, 80> der{};
  std::size_t der_len = der.size();
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return fail(crypto_error("signing failed"));
  }
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return fail(crypto_error("bad DER signature"));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kCoordinateBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, bytes, kCoordinateBytes) != static_cast<int>(kCoordinateBytes) ||
      BN_bn2binpad(s, bytes + kCoordinateBytes, kCoordinateBytes) !=
          static_cast<int>(kCoordinateBytes)) {
    return fail(crypto_error("bad signature size"));
  }
  if (is_high_s(bytes + kCoordinateBytes)) {  // emit the low form only: s := n - s
    std::unique_ptr<BIGNUM, BnFree> order(BN_bin2bn(kOrder.data(), kCoordinateBytes, nullptr));
    std::unique_ptr<BIGNUM, BnFree> low(BN_new());
    if (!order || !low || BN_sub(low.get(), order.get(), s) != 1 ||
        BN_bn2binpad(low.get(), bytes + kCoordinateBytes, kCoordinateBytes) !=
            static_cast<int>(kCoordinateBytes)) {
      return fail(crypto_error("cannot normalise the signature"));
    }
  }
  return out;
}

bool Es256Key::verify(std::string_view input, std::string_view signature) const {
  if (signature.size() != 2 * kCoordinateBytes) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  if (is_high_s(bytes + kCoordinateBytes)) return false;  // the malleable twin
  std::unique_ptr<BIGNUM, BnFree> r(BN_bin2bn(bytes, kCoordinateBytes, nullptr));
  std::unique_ptr<BIGNUM, BnFree> s(BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr));
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* d) { OPENSSL_free(d); });
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::string Es256Key::public_jwk_json(std::string_view kid) const {
  // Every value is base64url or a fixed token: no escaping needed except the
  // kid, which we generate ourselves from [A-Za-z0-9_-].
  std::string out = R"({"kty":"EC","crv":"P-256","x":")";
  out += x_;
  out += R"(","y":")";
  out += y_;
  out += R"(","kid":")";
  out += kid;
  out += R"(","use":"sig","alg":"ES256"})";
  return out;
}

}  // namespace latchkey
