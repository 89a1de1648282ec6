#include "support/counter_random.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace latchkey::testing {

void CounterRandom::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t n = counter_.fetch_add(1);
    unsigned char block[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(&n), sizeof n, block);
    const std::size_t take = std::min(out.size() - done, sizeof block);
    std::memcpy(out.data() + done, block, take);
    done += take;
  }
}

}  // namespace latchkey::testing
