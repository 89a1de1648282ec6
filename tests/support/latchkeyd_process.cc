#include "support/latchkeyd_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/encoding.h"

namespace latchkey::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string basic_header(const std::string& client_id, const std::string& client_secret) {
  return "Authorization: Basic " + base64_encode(client_id + ":" + client_secret);
}

std::string bearer_header(const std::string& token) { return "Authorization: Bearer " + token; }

LatchkeydProcess::LatchkeydProcess(std::vector<std::string> extra_args)
    : LatchkeydProcess(std::move(extra_args), true) {}

LatchkeydProcess::LatchkeydProcess(std::vector<std::string> extra_args, bool expect_bootstrap)
    : extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/latchkeyd-test-XXXXXX";
  data_dir_ = mkdtemp(tmpl);
  log_path_ = data_dir_ + "/server.log";
  start();
  if (!expect_bootstrap) {
    EXPECT_FALSE(std::filesystem::exists(bootstrap_path()))
        << "a node joining a bootstrapped store wrote a bootstrap file:\n"
        << output();
    return;
  }
  const std::string bootstrap = read_file(data_dir_ + "/bootstrap.json");
  auto j = nlohmann::json::parse(bootstrap, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "no bootstrap file; server output:\n" << output();
    return;
  }
  admin_ = {j.value("user_id", ""), j.value("client_id", ""), j.value("client_secret", "")};
}

LatchkeydProcess::~LatchkeydProcess() {
  if (pid_ > 0) stop_gracefully();
  std::error_code ec;
  if (!std::getenv("LATCHKEY_KEEP_TEST_DATA")) std::filesystem::remove_all(data_dir_, ec);
}

void LatchkeydProcess::start() {
  const std::string ready = data_dir_ + "/ready";
  std::filesystem::remove(ready);
  std::vector<std::string> args = {LATCHKEYD_PATH,
                                   "--listen",
                                   listen_,
                                   "--data",
                                   data_dir_ + "/db",
                                   "--ready-file",
                                   ready,
                                   "--bootstrap-file",
                                   data_dir_ + "/bootstrap.json",
                                   "--insecure-test-clock",
                                   "--log-level",
                                   "info"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Wait (bounded) for the server to say it listens.
  for (int i = 0; i < 400; ++i) {
    if (std::filesystem::exists(ready)) {
      url_ = read_file(ready);
      while (!url_.empty() && (url_.back() == '\n')) url_.pop_back();
      // A restart listens on the same port, as a deployment does: the JWT
      // issuer (the server's URL) stays the same.
      if (const auto colon = url_.rfind(':'); colon != std::string::npos) {
        listen_ = "127.0.0.1:" + url_.substr(colon + 1);
      }
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "latchkeyd exited during start-up:\n" << output();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "latchkeyd did not become ready within 10 s:\n" << output();
}

std::string LatchkeydProcess::output() const { return read_file(log_path_); }

void LatchkeydProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int LatchkeydProcess::stop_gracefully() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void LatchkeydProcess::restart() {
  if (pid_ > 0) stop_gracefully();
  start();
}

void LatchkeydProcess::advance_clock_seconds(long long seconds) {
  HttpClient http;
  auto r = http.send("POST", url_ + "/_test/clock/advance", {"Content-Type: application/json"},
                     "{\"seconds\": " + std::to_string(seconds) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
}

}  // namespace latchkey::testing
