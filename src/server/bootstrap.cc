#include "server/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "console_auth/password.h"
#include "core/crash_points.h"
#include "core/log_line.h"
#include "core/time.h"

namespace latchkey::server {
namespace {

// A bootstrap document is a few hundred bytes; anything larger is not one.
constexpr std::size_t kMaxBootstrapFileBytes = 64 * 1024;

Error cannot(const std::string& what, const std::string& path) {
  return Error::unavailable("cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// kConflict unless `path` is absent, or a regular file (not a symlink) that
// is empty or holds a JSON object with "client_id" and "client_secret".
Status check_replaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(cannot("inspect the bootstrap file", path));
  }
  const Error not_ours = Error::conflict("the bootstrap file " + path +
                                         " exists and is not a latchkey bootstrap file; not "
                                         "overwriting it (move it away or choose another path)");
  if (!S_ISREG(st.st_mode)) return fail(not_ours);
  if (st.st_size == 0) return {};
  if (static_cast<std::size_t>(st.st_size) > kMaxBootstrapFileBytes) return fail(not_ours);
  Fd in{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (in.fd < 0) return fail(cannot("read the bootstrap file", path));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  const ssize_t n = ::read(in.fd, text.data(), text.size());
  if (n < 0) return fail(cannot("read the bootstrap file", path));
  text.resize(static_cast<std::size_t>(n));
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("client_id") || !doc.contains("client_secret")) {
    return fail(not_ours);
  }
  return {};
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Status write_bootstrap_file(const std::string& path, const std::string& url,
                            const IssuedClientCredential& credential) {
  if (auto s = check_replaceable(path); !s) return s;
  nlohmann::json doc{{"url", url},
                     {"user_id", credential.user_id},
                     {"client_id", credential.client_id},
                     {"client_secret", credential.client_secret}};
  if (!credential.console_password.empty()) {
    doc["console_url"] = url + "/console/";
    doc["username"] = credential.username;
    doc["password"] = credential.console_password;
  }
  const std::string body = doc.dump(2) + "\n";
  // A temporary left by a crash holds a secret that was never stored: drop it.
  const std::string temporary = path + ".tmp";
  if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) {
    return fail(cannot("remove the stale temporary file", temporary));
  }
  {
    Fd out{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (out.fd < 0) return fail(cannot("create", temporary));
    if (!write_all(out.fd, body)) {
      const Error error = cannot("write", temporary);
      ::unlink(temporary.c_str());
      return fail(error);
    }
    test_hooks::durability_point("the bootstrap file's fsync");
    if (::fsync(out.fd) != 0) {
      const Error error = cannot("fsync", temporary);
      ::unlink(temporary.c_str());
      return fail(error);
    }
  }
  test_hooks::durability_point("the bootstrap file's rename");
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const Error error = cannot("rename " + temporary + " to", path);
    ::unlink(temporary.c_str());
    return fail(error);
  }
  // The rename itself is durable only once the directory is.
  const std::string directory = directory_of(path);
  test_hooks::durability_point("the bootstrap directory's fsync");
  Fd dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) return fail(cannot("fsync the directory", directory));
  return {};
}

std::string credential_banner(const std::string& headline, const std::string& url,
                              const IssuedClientCredential& credential) {
  return "\n"
         "latchkeyd: " +
         headline +
         " Its credentials are shown ONCE;\n"
         "store them in a secrets manager now.\n\n"
         "  URL:           " +
         url +
         "\n"
         "  Client ID:     " +
         credential.client_id +
         "\n"
         "  Client Secret: " +
         credential.client_secret + "\n" +
         (credential.console_password.empty()
              ? std::string()
              : "\nSign in to the web console (docs/console.md):\n"
                "  Console:       " +
                    url + "/console/\n" + "  Username:      " + credential.username + "\n" +
                    "  Password:      " + credential.console_password + "\n") +
         "\n"
         "Get an access token (seed 000 flow):\n"
         "  curl -X POST " +
         url +
         "/api/v1/account/token \\\n"
         "       -H \"Authorization: Basic $(echo -n '" +
         credential.client_id + ":<CLIENT_SECRET>' | base64 -w0)\"\n\n";
}

std::string credential_json_line(const std::string& time, const std::string& url,
                                 const IssuedClientCredential& credential,
                                 const std::string& bootstrap_file) {
  std::string line;
  LogLine out(line, LogFormat::kJson, time, "info", "bootstrap",
              bootstrap_file.empty()
                  ? "first start: created the admin user. Its credentials are shown ONCE; store "
                    "them in a secrets manager now."
                  : "first start: created the admin user. Its credentials are in the bootstrap "
                    "file; move them to a secrets manager and delete the file.");
  out.field("url", url)
      .field("user_id", credential.user_id)
      .field("client_id", credential.client_id);
  if (!credential.console_password.empty()) {
    out.field("console_url", url + "/console/").field("username", credential.username);
  }
  if (bootstrap_file.empty()) {
    out.field("client_secret", credential.client_secret);
    if (!credential.console_password.empty()) {
      out.field("password", credential.console_password);
    }
  } else {
    out.field("bootstrap_file", bootstrap_file);
  }
  out.finish();
  line.push_back('\n');
  return line;
}

Status deliver_credential(const std::string& file, const std::string& url,
                          const IssuedClientCredential& credential, const std::string& banner,
                          std::FILE* out) {
  if (!file.empty()) {
    if (auto s = write_bootstrap_file(file, url, credential); !s) return s;
  }
  test_hooks::durability_point("printing the credentials");
  // Shown on stdout only, never through the logger.
  if (std::fputs(banner.c_str(), out) < 0 || std::fflush(out) != 0) {
    return fail(Error::unavailable(std::string("cannot print the credentials on stdout: ") +
                                   std::strerror(errno)));
  }
  return {};
}

Result<bool> run_first_start(UserService& users, const std::string& url,
                             const std::string& bootstrap_file, std::FILE* out,
                             const Clock* json_clock) {
  auto pending = users.prepare_bootstrap_admin("admin");
  if (!pending) return fail(pending.error());
  if (!pending->has_value()) return false;
  PendingAdmin& admin = **pending;
  // The console password is hashed before anything is delivered, so that a
  // failure here shows nothing that would not work.
  auto hash = console_auth::hash_password(admin.issued.console_password);
  if (!hash) return fail(hash.error());
  admin.console_password_hash = std::move(*hash);
  const std::string banner =
      json_clock != nullptr
          ? credential_json_line(format_rfc3339(json_clock->now()), url, admin.issued,
                                 bootstrap_file)
          : credential_banner("first start: created the admin user.", url, admin.issued);
  if (auto s = deliver_credential(bootstrap_file, url, admin.issued, banner, out); !s) {
    return fail(Error{s.error().code,
                      s.error().description + "; nothing was stored, the next start tries again"});
  }
  test_hooks::durability_point("storing the admin");
  if (auto s = users.commit_bootstrap_admin(admin); !s) {
    return fail(Error{s.error().code,
                      "cannot store the admin: " + s.error().description +
                          "; the credentials shown above are void, the next start makes new ones"});
  }
  test_hooks::durability_point("after storing the admin");
  return true;
}

}  // namespace latchkey::server
