// Where an access token is kept between calls and between processes, with
// its expiry (seed 000: "store it with its expiry timestamp ... and re-use
// it for every API call").
//
// MemoryTokenCache lives as long as the process. FileTokenCache keeps
// {"access_token", "expires_at"} as JSON in one file that only its owner may
// read (mode 0600, parent directory created 0700), replaced atomically
// (temporary file + fsync + rename) so that a crash never leaves half a
// file. A missing, unreadable or corrupt file reads as "no token": the
// caller simply obtains a new one.
//
// Both implementations are thread-safe.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>

#include "latchkey/client/error.h"
#include "latchkey/client/token.h"

namespace latchkey::client {

class TokenCache {
 public:
  virtual ~TokenCache() = default;
  // The stored token, whether or not it has expired; nullopt when there is
  // none or it cannot be read.
  virtual std::optional<Token> load() = 0;
  // Replaces the stored token. Fails with ErrorKind::kCache.
  virtual Status store(const Token& token) = 0;
  // Forgets the stored token; succeeds when there was none.
  virtual Status clear() = 0;
};

class MemoryTokenCache final : public TokenCache {
 public:
  std::optional<Token> load() override;
  Status store(const Token& token) override;
  Status clear() override;

 private:
  std::mutex mu_;
  std::optional<Token> token_;  // guarded by mu_
};

class FileTokenCache final : public TokenCache {
 public:
  explicit FileTokenCache(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }

  std::optional<Token> load() override;
  Status store(const Token& token) override;
  Status clear() override;

 private:
  const std::filesystem::path path_;
  std::mutex mu_;  // serialises this process's writers; rename keeps others safe
};

}  // namespace latchkey::client
