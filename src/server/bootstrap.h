// First-start bootstrap: on an empty store, create the `admin` user (human,
// API access, ADMIN) and show its Client ID and Secret exactly once, on
// stdout and optionally in a JSON file readable only by its owner. Later
// starts find users and show nothing.
#pragma once

#include <string>

#include "accounts/user_service.h"
#include "core/error.h"

namespace latchkey::server {

// The --bootstrap-file: reserved (created empty, mode 0600, exclusively)
// *before* the admin is created, so that a path that cannot be written is
// known while nothing has been committed yet; then filled with
// {"url","user_id","client_id","client_secret"} or, when the store already
// had users, removed again.
class BootstrapFile {
 public:
  // kConflict when the file exists (it is never overwritten); kUnavailable
  // when it cannot be created.
  static Result<BootstrapFile> reserve(const std::string& path);
  BootstrapFile(BootstrapFile&& other) noexcept;
  BootstrapFile& operator=(BootstrapFile&&) = delete;
  ~BootstrapFile();  // abandons the file unless write() succeeded

  Status write(const std::string& url, const IssuedClientCredential& admin);

 private:
  BootstrapFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  bool written_ = false;
};

// The banner printed to stdout on first start.
std::string bootstrap_banner(const std::string& url, const IssuedClientCredential& admin);

}  // namespace latchkey::server
