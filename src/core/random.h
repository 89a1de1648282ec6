// The only source of randomness in latchkey. Secrets, ids and request ids are
// drawn from a Random&, so tests can substitute a deterministic source.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace latchkey {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes. Never fails: a CSPRNG that cannot produce
  // output aborts the process rather than hand out a guessable secret.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The OS CSPRNG through OpenSSL's RAND_bytes.
class OsRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// `length` characters drawn uniformly from [0-9A-Za-z] (rejection sampling).
std::string random_base62(Random& random, std::size_t length);

}  // namespace latchkey
