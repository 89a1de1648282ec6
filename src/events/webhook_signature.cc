#include "events/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "core/encoding.h"

namespace latchkey::events {

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text = t;
  signed_text += '.';
  signed_text += body;
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

bool verify_webhook_signature(std::string_view header, std::string_view secret,
                              std::string_view body, std::int64_t now_unix_seconds,
                              std::int64_t tolerance_seconds) {
  std::string_view t_text;
  std::string_view v1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.starts_with("t=")) t_text = part.substr(2);
    if (part.starts_with("v1=")) v1 = part.substr(3);
  }
  std::int64_t t = 0;
  auto [end, ec] = std::from_chars(t_text.data(), t_text.data() + t_text.size(), t);
  if (t_text.empty() || ec != std::errc() || end != t_text.data() + t_text.size()) return false;
  const std::int64_t age = now_unix_seconds - t;
  if (age > tolerance_seconds || age < -tolerance_seconds) return false;
  const std::string expected = webhook_signature(secret, t, body);
  const std::string_view expected_v1 = std::string_view(expected).substr(expected.find(",v1=") + 4);
  return v1.size() == expected_v1.size() &&
         CRYPTO_memcmp(v1.data(), expected_v1.data(), v1.size()) == 0;
}

}  // namespace latchkey::events
