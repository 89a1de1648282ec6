#include "server/bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace latchkey::server {

Status write_bootstrap_file(const std::string& path, const std::string& url,
                            const IssuedClientCredential& admin) {
  const std::string body = nlohmann::json{{"url", url},
                                          {"user_id", admin.user_id},
                                          {"client_id", admin.client_id},
                                          {"client_secret", admin.client_secret}}
                               .dump(2) +
                           "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(
        Error::unavailable("cannot create bootstrap file " + path + ": " + std::strerror(errno)));
  }
  const bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fail(Error::unavailable("cannot write bootstrap file " + path));
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
