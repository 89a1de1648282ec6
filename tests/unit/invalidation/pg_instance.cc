#include "unit/invalidation/pg_instance.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace latchkey::testing {
namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs `argv` (as nobody when root), output to `log`; the child's pid.
pid_t spawn(std::vector<std::string> argv, const std::string& log) {
  if (::geteuid() == 0) {
    argv.insert(argv.begin(),
                {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"});
  }
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(out, 1);
  ::dup2(out, 2);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

int run(std::vector<std::string> argv, const std::string& log) {
  const pid_t pid = spawn(std::move(argv), log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::unique_ptr<PgInstance> PgInstance::start(std::string* error) {
  std::unique_ptr<PgInstance> pg(new PgInstance());
  char templ[] = "/tmp/latchkey-pg-XXXXXX";
  if (::mkdtemp(templ) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  pg->dir_ = templ;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr || ::chown(templ, nobody->pw_uid, nobody->pw_gid) != 0) {
      *error = "cannot hand the directory to nobody";
      return nullptr;
    }
  }
  const std::string log = pg->dir_ + "/log";
  if (run({std::string(kBin) + "initdb", "-D", pg->dir_ + "/data", "-U", "latchkey", "--auth=trust",
           "-E", "UTF8", "--no-sync", "--no-instructions"},
          log) != 0) {
    *error = "initdb failed (see " + log + ")";
    return nullptr;
  }
  pg->port_ = free_port();
  if (!pg->launch(error)) return nullptr;
  return pg;
}

bool PgInstance::launch(std::string* error) {
  pid_ = spawn({std::string(kBin) + "postgres", "-D", dir_ + "/data", "-p", std::to_string(port_),
                "-k", dir_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off"},
               dir_ + "/log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string conninfo = url();
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "postgres exited (see " + dir_ + "/log)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // process start-up, not time
  }
  *error = "postgres did not accept connections within 30 s";
  return false;
}

std::string PgInstance::url() const {
  return "postgres://latchkey@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void PgInstance::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: sessions end at once
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool PgInstance::restart(std::string* error) {
  stop();
  return launch(error);
}

PgInstance::~PgInstance() {
  stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace latchkey::testing
