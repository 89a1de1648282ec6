// TempDir: a fresh directory under the system temp dir (mkdtemp), removed
// with everything in it when the TempDir goes away. For tests that need a
// real data directory. Not thread-safe; path() may be read from any thread.
#pragma once

#include <string>

namespace latchkey::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Empty when the directory could not be created (the test has failed).
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace latchkey::testing
