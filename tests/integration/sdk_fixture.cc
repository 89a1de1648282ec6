#include "integration/sdk_fixture.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace latchkey::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void SdkTest::SetUp() {
  ServerTest::SetUp();
  transport_ = client::make_curl_transport();
}

client::Sleeper SdkTest::server_clock_sleeper() {
  return [this](std::chrono::milliseconds wait) {
    {
      std::lock_guard lock(mu_);
      waits_.push_back(wait);
    }
    server_->advance_clock_seconds((wait.count() + 999) / 1000);
  };
}

std::vector<std::chrono::milliseconds> SdkTest::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

client::RetryPolicy SdkTest::exact_retry() {
  return client::RetryPolicy{.random = [] { return 0.0; }};
}

ApiKey SdkTest::create_key(const Credentials& owner, const std::string& name) {
  HttpResult created =
      post("/api/v1/keys", {bearer_header(issue_token(owner)), "Content-Type: application/json"},
           R"({"name": ")" + name + R"(", "expires_in_days": 30})");
  EXPECT_EQ(created.status, 201) << created.body;
  const Json key = json_of(created);
  return {key.value("id", ""), key.value("api_key", "")};
}

ExampleRun SdkTest::run_example(const std::string& program,
                                const std::vector<std::pair<std::string, std::string>>& env) {
  const std::string path = std::string(LATCHKEY_SDK_EXAMPLES_DIR) + "/" + program;
  const std::string out_path = server_->data_dir() + "/" + program + ".out";
  const std::string err_path = server_->data_dir() + "/" + program + ".err";
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  // The examples write their token cache into the working directory.
  const std::string cwd = server_->data_dir();

  // Built before fork: the child of a threaded process may not allocate.
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<char> program_path(path.begin(), path.end());
  program_path.push_back('\0');
  char* argv[] = {program_path.data(), nullptr};

  const pid_t pid = fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(cwd.c_str()) != 0) {
      _exit(126);
    }
    execve(path.c_str(), argv, envp.data());
    _exit(127);
  }
  ExampleRun run;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  return run;
}

}  // namespace latchkey::testing
