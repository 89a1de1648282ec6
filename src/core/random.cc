#include "core/random.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "core/encoding.h"

namespace latchkey {

void OsRandom::fill(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("latchkey: the CSPRNG failed; refusing to continue\n", stderr);
    std::abort();
  }
}

std::string random_base62(Random& random, std::size_t length) {
  std::string out;
  out.reserve(length);
  std::array<std::uint8_t, 64> pool{};
  while (out.size() < length) {
    random.fill(pool);
    for (std::uint8_t b : pool) {
      // 248 = 4 * 62: values above would bias the first characters.
      if (b >= 248) continue;
      out.push_back(kBase62Alphabet[b % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace latchkey
