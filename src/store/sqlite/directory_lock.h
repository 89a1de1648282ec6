// DirectoryLock: an exclusive flock() on <data_dir>/LOCK held for the life
// of the store (leveldb's LockFile). Two latchkeyd processes on one data
// directory would each cache verified tokens and never see the other's
// revocations (DESIGN.md invariant 2), so the second one is refused.
// Move-only; releases the lock when destroyed. The lock dies with the
// process, so a kill -9 never leaves it behind.
#pragma once

#include <string>

#include "core/error.h"

namespace latchkey::sqlite {

class DirectoryLock {
 public:
  // kUnavailable when another process (or another store in this process)
  // holds the directory, or the lock file cannot be created.
  static Result<DirectoryLock> acquire(const std::string& dir);

  DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace latchkey::sqlite
