#include "agent/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace latchkey::agent {
namespace {

client::ClientError sink_error(const std::string& path, const std::string& what, int err) {
  return client::ClientError{
      .kind = client::ErrorKind::kCache,
      .description = "file sink " + path + ": " + what + ": " + std::strerror(err)};
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

}  // namespace

std::string sink_content(const client::Token& token, SinkFormat format) {
  if (format == SinkFormat::kText) return token.access_token + "\n";
  const nlohmann::json json = {{"access_token", token.access_token},
                               {"expires_at", token.expires_at_unix}};
  return json.dump() + "\n";
}

client::Status write_file_atomically(const std::string& path, std::string_view content) {
  const std::filesystem::path target(path);
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  // Hidden, so that a reader globbing the directory does not pick it up.
  std::string temp = dir + "/." + target.filename().string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // O_EXCL, mode 0600
  if (fd < 0) return std::unexpected(sink_error(path, "cannot create a temporary file", errno));
  int err = 0;
  const char* step = "cannot write";
  if (::fchmod(fd, 0600) != 0 || !write_all(fd, content) || ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    step = "cannot rename the temporary file over it";
  }
  if (err != 0) {
    ::unlink(temp.c_str());
    return std::unexpected(sink_error(path, step, err));
  }
  // Makes the rename itself durable; best effort.
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace latchkey::agent
