#include "server/data_dir.h"

#include <sys/stat.h>

#include <cstdio>

namespace latchkey::server {

std::string data_dir_permission_warning(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
  const unsigned mode = st.st_mode & 0777;
  if ((mode & 077) == 0) return {};
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode);
  return "the data directory " + dir + " is mode " + octal +
         ": group and others can list it, and it holds the private signing keys. "
         "Run: chmod 700 " +
         dir;
}

}  // namespace latchkey::server
