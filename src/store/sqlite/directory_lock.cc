#include "store/sqlite/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace latchkey::sqlite {

Result<DirectoryLock> DirectoryLock::acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Error::unavailable("store: cannot create " + path + ": " + std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return fail(Error::unavailable("store: the data directory " + dir +
                                     " is in use by another latchkeyd process"));
    }
    return fail(Error::unavailable("store: cannot lock " + path + ": " + std::strerror(err)));
  }
  return DirectoryLock(fd);
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace latchkey::sqlite
