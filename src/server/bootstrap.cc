#include "server/bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace latchkey::server {

Result<BootstrapFile> BootstrapFile::reserve(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) return BootstrapFile(path, fd);
  if (errno == EEXIST) {
    return fail(
        Error::conflict("the bootstrap file " + path + " already exists; not overwriting it"));
  }
  return fail(
      Error::unavailable("cannot create the bootstrap file " + path + ": " + std::strerror(errno)));
}

BootstrapFile::BootstrapFile(BootstrapFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), written_(other.written_) {
  other.fd_ = -1;
}

BootstrapFile::~BootstrapFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (!written_) ::unlink(path_.c_str());
}

Status BootstrapFile::write(const std::string& url, const IssuedClientCredential& admin) {
  const std::string body = nlohmann::json{{"url", url},
                                          {"user_id", admin.user_id},
                                          {"client_id", admin.client_id},
                                          {"client_secret", admin.client_secret}}
                               .dump(2) +
                           "\n";
  if (::write(fd_, body.data(), body.size()) != static_cast<ssize_t>(body.size()) ||
      ::fsync(fd_) != 0) {
    return fail(Error::unavailable("cannot write the bootstrap file " + path_ + ": " +
                                   std::strerror(errno)));
  }
  written_ = true;
  return {};
}

std::string bootstrap_banner(const std::string& url, const IssuedClientCredential& admin) {
  return "\n"
         "latchkeyd: first start: created the admin user. Its credentials are shown ONCE;\n"
         "store them in a secrets manager now.\n\n"
         "  URL:           " +
         url +
         "\n"
         "  Client ID:     " +
         admin.client_id +
         "\n"
         "  Client Secret: " +
         admin.client_secret +
         "\n\n"
         "Get an access token (seed 000 flow):\n"
         "  curl -X POST " +
         url +
         "/api/v1/account/token \\\n"
         "       -H \"Authorization: Basic $(echo -n '" +
         admin.client_id + ":<CLIENT_SECRET>' | base64 -w0)\"\n\n";
}

}  // namespace latchkey::server
