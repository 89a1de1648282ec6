#include "support/redis_server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
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

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The redis-server on PATH, found before fork(): between fork and exec a
// multi-threaded test may only make async-signal-safe calls.
std::string redis_server_path() {
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "/usr/bin/redis-server";
}

}  // namespace

RedisServer::RedisServer() {
  char tmpl[] = "/tmp/latchkey-redis-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  if (::geteuid() == 0) {
    // Tests run as root in CI: the server runs as nobody, in a directory it owns.
    if (const passwd* pw = ::getpwnam("nobody")) {
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) ADD_FAILURE() << "chown failed";
    }
  }
  port_ = free_port();
  start();
}

RedisServer::~RedisServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void RedisServer::start() {
  if (pid_ > 0 || dir_.empty()) return;
  const std::string port = std::to_string(port_);
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args;
  const std::string program = redis_server_path();
  for (const char* a : {program.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save",
                        "", "--appendonly", "no", "--dir", dir_.c_str(), "--logfile", log.c_str(),
                        "--daemonize", "no"}) {
    args.emplace_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const passwd* nobody = ::geteuid() == 0 ? ::getpwnam("nobody") : nullptr;
  pid_ = ::fork();
  if (pid_ == 0) {
    // As root, the server runs as nobody; then (after the switch, which
    // would clear it) it dies with the test process, even on a crash.
    if (nobody != nullptr && (::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 ||
                              ::setuid(nobody->pw_uid) != 0)) {
      ::_exit(126);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) ::_exit(125);  // the test process is already gone
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping()) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "redis-server exited at start (status " << status << "); see " << log;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a real process
  }
  ADD_FAILURE() << "redis-server did not answer PING on port " << port_;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  if (suspended_) ::kill(pid_, SIGCONT);
  suspended_ = false;
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::suspend() {
  if (pid_ > 0 && !suspended_ && ::kill(pid_, SIGSTOP) == 0) suspended_ = true;
}

void RedisServer::resume() {
  if (pid_ > 0 && suspended_ && ::kill(pid_, SIGCONT) == 0) suspended_ = false;
}

bool RedisServer::ping() const {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    constexpr char kPing[] = "PING\r\n";
    char buf[16] = {};
    if (::write(fd, kPing, sizeof kPing - 1) == static_cast<ssize_t>(sizeof kPing - 1) &&
        ::read(fd, buf, sizeof buf - 1) > 0) {
      ok = std::string_view(buf).starts_with("+PONG");
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace latchkey::testing
