// A fresh directory under /tmp for one test, removed afterwards.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace latchkey::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/latchkey-agent-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Writes `content` to `name` with `mode`; returns the full path.
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::trunc) << content;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::string path_;
};

}  // namespace latchkey::testing
