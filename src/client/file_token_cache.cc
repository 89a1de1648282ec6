// FileTokenCache: {"access_token", "expires_at", "issued_at"} (unix seconds) in a
// 0600 file under a 0700 directory, replaced by write-temp-fsync-rename.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "latchkey/client/token_cache.h"

namespace latchkey::client {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxCacheFileBytes = 64 * 1024;
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirectoryMode = 0700;

ClientError cache_error(const fs::path& path, std::string what, int err) {
  ClientError error;
  error.kind = ErrorKind::kCache;
  error.description = "token cache " + path.string() + ": " + std::move(what);
  if (err != 0) error.description += ": " + std::string(std::strerror(err));
  return error;
}

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Creates `dir` and any missing parents with mode 0700 (existing ones are
// left alone). Returns 0 or an errno.
int make_directories(const fs::path& dir) {
  if (dir.empty()) return 0;
  fs::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), kDirectoryMode) != 0 && errno != EEXIST) return errno;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Best effort: makes the rename itself durable.
void sync_directory(const fs::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

FileTokenCache::FileTokenCache(fs::path path) : path_(std::move(path)) {}

std::optional<Token> FileTokenCache::load() {
  std::lock_guard lock(mu_);
  Fd fd(::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxCacheFileBytes) {
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxCacheFileBytes) return std::nullopt;
  }
  // A corrupt or foreign file is "no token", never an error: the caller
  // obtains a new token and overwrites it.
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  const auto token = json.find("access_token");
  const auto expires_at = json.find("expires_at");
  if (token == json.end() || !token->is_string() || expires_at == json.end() ||
      !expires_at->is_number_integer()) {
    return std::nullopt;
  }
  Token out{token->get<std::string>(), expires_at->get<std::int64_t>()};
  // "issued_at" is optional: files written before it existed lack it.
  if (const auto issued_at = json.find("issued_at");
      issued_at != json.end() && issued_at->is_number_integer()) {
    out.issued_at_unix = issued_at->get<std::int64_t>();
  }
  if (!is_plausible_token(out.access_token)) return std::nullopt;
  return out;
}

Status FileTokenCache::store(const Token& token) {
  std::lock_guard lock(mu_);
  const fs::path dir = path_.parent_path();
  if (const int err = make_directories(dir); err != 0) {
    return std::unexpected(cache_error(path_, "cannot create the directory", err));
  }
  std::string temp = path_.string() + ".tmp.XXXXXX";
  Fd fd(::mkstemp(temp.data()));  // mode 0600, O_EXCL
  if (fd.get() < 0) {
    return std::unexpected(cache_error(path_, "cannot create a temporary file", errno));
  }
  const nlohmann::json json = {{"access_token", token.access_token},
                               {"expires_at", token.expires_at_unix},
                               {"issued_at", token.issued_at_unix}};
  const std::string text = json.dump() + "\n";
  int err = 0;
  if (::fchmod(fd.get(), kFileMode) != 0 || !write_all(fd.get(), text) || ::fsync(fd.get()) != 0) {
    err = errno;
  }
  if (err == 0 && ::close(fd.release()) != 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    return std::unexpected(cache_error(path_, "cannot write", err));
  }
  sync_directory(dir);
  return {};
}

Status FileTokenCache::clear() {
  std::lock_guard lock(mu_);
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(cache_error(path_, "cannot remove", errno));
  }
  return {};
}

}  // namespace latchkey::client
