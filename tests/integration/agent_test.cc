// `latchkey agent` against a real latchkeyd (issue 15 item 4; docs/agent.md):
// one agent process holds a service account's Client Secret and keeps two
// readers supplied, one reading its file sink and one asking its Unix socket,
// across a forced supersede (the test issues a token for the same user
// itself) and a latchkeyd restart. Nothing sleeps to let time pass: every
// wait polls a condition with a deadline.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `condition` every 20 ms until it holds or `deadline` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 20s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);  // a poll interval, not a wait for time to pass
  }
  return condition();
}

size_t append_to(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// GET `path` over the agent's Unix socket with libcurl; status 0 when it
// cannot connect.
HttpResult get_over_socket(const std::string& socket, const std::string& path,
                           const std::string& accept = "application/json") {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, ("Accept: " + accept).c_str());
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, ("http://agent" + path).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

// The agent as a child process: `latchkey agent --config FILE`, stderr to a file.
class AgentProcess {
 public:
  // `env`: "NAME=value" entries added to the agent's environment. argv and
  // the environment are built before fork: the child of a threaded process
  // must not allocate.
  AgentProcess(const std::string& config, const std::string& log, std::vector<std::string> env = {})
      : log_(log) {
    std::vector<std::string> args = {LATCHKEY_CLI_PATH, "agent", "--config", config};
    for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
  }
  ~AgentProcess() {
    if (pid_ > 0) stop();
  }
  // SIGTERM, then the exit status.
  int stop() {
    ::kill(pid_, SIGTERM);
    return wait();
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return read_file(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

class AgentTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    char pattern[] = "/tmp/latchkey-agent-it-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    account_ = create_user_with_credentials("risk-sync", "service", true);
    secret_file_ = dir_ + "/client_secret";
    std::ofstream(secret_file_) << account_.client_secret << "\n";
    ::chmod(secret_file_.c_str(), 0600);
    sink_ = dir_ + "/token.json";
    socket_ = dir_ + "/agent.sock";
    log_ = dir_ + "/agent.log";
  }
  void TearDown() override {
    agent_.reset();
    std::error_code ec;
    if (!std::getenv("LATCHKEY_KEEP_TEST_DATA")) std::filesystem::remove_all(dir_, ec);
  }

  // `credential`: the credential lines; default: the account's client secret file.
  std::string write_config(std::string credential = "") {
    if (credential.empty()) {
      credential = "credential = \"client_secret\"\nclient_id = \"" + account_.client_id +
                   "\"\nclient_secret_file = \"" + secret_file_ + "\"\n";
    }
    const std::string path = dir_ + "/agent.toml";
    std::ofstream(path) << "server_url = \"" << server_->url() << "\"\n"
                        << credential << "[[file_sink]]\npath = \"" << sink_ << "\"\n"
                        << "[socket]\npath = \"" << socket_ << "\"\n"
                        << "[refresh]\ncheck_interval_seconds = 1\n"
                        << "supersede_backoff_initial_seconds = 1\n"
                        << "supersede_backoff_max_seconds = 2\n";
    return path;
  }

  // Reader 1: the file sink ({"access_token", "expires_at"}).
  std::string token_from_file() {
    const auto json = Json::parse(read_file(sink_), nullptr, false);
    return json.is_object() ? json.value("access_token", "") : "";
  }
  // Reader 2: GET /token on the socket.
  std::string token_from_socket() {
    const HttpResult r = get_over_socket(socket_, "/token");
    if (r.status != 200) return "";
    return Json::parse(r.body, nullptr, false).value("access_token", "");
  }
  Json health() { return Json::parse(get_over_socket(socket_, "/healthz").body, nullptr, false); }

  // True when `token` works against the server right now.
  bool accepted(const std::string& token) {
    if (token.empty()) return false;
    return http_.send("GET", server_->url() + "/api/v1/account/me", {bearer_header(token)})
               .status == 200;
  }
  // Both readers hold a token the server accepts (other than `not_this`).
  bool both_supplied(const std::string& not_this = "") {
    const std::string from_file = token_from_file();
    const std::string from_socket = token_from_socket();
    if (from_file == not_this || from_socket == not_this) return false;
    if (!accepted(from_file) || !accepted(from_socket)) return false;
    seen_tokens_.insert(from_file);
    seen_tokens_.insert(from_socket);
    return true;
  }

  std::string dir_;
  Credentials account_;
  std::string secret_file_;
  std::string sink_;
  std::string socket_;
  std::string log_;
  std::unique_ptr<AgentProcess> agent_;
  std::set<std::string> seen_tokens_;
};

// Test that the agent keeps a file reader and a socket reader supplied across
// a forced supersede and a latchkeyd restart, says so loudly, never logs a
// secret or a token, and stops cleanly on SIGTERM.
TEST_F(AgentTest, KeepsTwoReadersSuppliedAcrossSupersedeAndRestart) {
  agent_ = std::make_unique<AgentProcess>(write_config(), log_);
  ASSERT_TRUE(eventually([&] { return both_supplied(); })) << agent_->log();
  struct stat st {};
  ASSERT_EQ(::stat(sink_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::lstat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(get_over_socket(socket_, "/token", "text/plain").body, token_from_socket() + "\n");

  // Someone else issues a token for the same user: the agent's token dies.
  const std::string before = token_from_socket();
  const HttpResult rogue = issue(account_.client_id, account_.client_secret, "rogue-job/1.0");
  ASSERT_EQ(rogue.status, 200) << rogue.body;
  const HttpResult refused = me(before);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused).value("reason", ""), "superseded");
  // The agent notices, re-issues, and both readers get the new token.
  ASSERT_TRUE(eventually([&] { return both_supplied(before); })) << agent_->log();
  EXPECT_FALSE(accepted(json_of(rogue).value("access_token", "")));  // the agent's won
  Json h = health();
  EXPECT_GE(h.value("superseded_total", 0), 1) << h.dump();
  EXPECT_EQ(h["last_superseded"].value("by_user_agent", ""), "rogue-job/1.0") << h.dump();
  EXPECT_EQ(h["last_superseded"].value("by_client_id", ""), account_.client_id) << h.dump();
  EXPECT_EQ(h.value("status", ""), "degraded");
  EXPECT_NE(agent_->log().find("ERROR TOKEN SUPERSEDED"), std::string::npos) << agent_->log();

  // latchkeyd goes away: the agent keeps handing out its token and says the
  // server cannot be reached.
  const std::string during = token_from_socket();
  server_->stop_gracefully();
  ASSERT_TRUE(eventually([&] { return health().value("check_failures_total", 0) > 0; }))
      << agent_->log();
  EXPECT_EQ(token_from_socket(), during);
  EXPECT_EQ(token_from_file(), during);
  EXPECT_TRUE(health().value("status", "") == "degraded");
  // It comes back on the same port and data directory: the readers' token
  // still works, and the agent's next check clears the failure.
  server_->restart();
  ASSERT_TRUE(eventually([&] { return both_supplied(); })) << agent_->log();
  ASSERT_TRUE(eventually([&] { return health().value("last_check_failed", true) == false; }))
      << agent_->log();
  EXPECT_EQ(token_from_socket(), during);  // a restart is no reason to re-issue

  // A second supersede right after: re-issued after a short back-off.
  const HttpResult again = issue(account_.client_id, account_.client_secret, "rogue-job/1.0");
  ASSERT_EQ(again.status, 200);
  ASSERT_TRUE(eventually([&] { return both_supplied(during); })) << agent_->log();
  EXPECT_GE(health().value("superseded_total", 0), 2);
  EXPECT_NE(agent_->log().find("backing off"), std::string::npos) << agent_->log();

  EXPECT_EQ(agent_->stop(), 0);
  EXPECT_NE(::lstat(socket_.c_str(), &st), 0) << "the socket is removed on SIGTERM";
  EXPECT_EQ(::stat(sink_.c_str(), &st), 0) << "the file sink stays";
  std::string log = agent_->log();
  EXPECT_NE(log.find("received SIGTERM, stopping"), std::string::npos) << log;

  // A restarted agent takes over the token in its sink instead of
  // superseding the one the readers hold.
  const std::string last = token_from_file();
  agent_ = std::make_unique<AgentProcess>(write_config(), dir_ + "/agent2.log");
  ASSERT_TRUE(eventually([&] { return both_supplied(); })) << agent_->log();
  EXPECT_EQ(token_from_socket(), last);
  EXPECT_EQ(health().value("issued_total", -1), 0);
  EXPECT_EQ(agent_->stop(), 0);
  log += agent_->log();
  EXPECT_NE(log.find("no new issuance"), std::string::npos) << log;
  EXPECT_EQ(log.find(account_.client_secret), std::string::npos);
  for (const std::string& token : seen_tokens_) EXPECT_EQ(log.find(token), std::string::npos);
}

// Test the API-key credential (seed 004): the agent hands out JWTs from
// /v2/auth/token/access, with the key taken from an environment variable;
// once the key is deactivated it stops handing out a token and says why.
TEST_F(AgentTest, SuppliesJwtsFromAnApiKey) {
  const std::string owner_token = issue_token(account_);
  const HttpResult created =
      post("/api/v1/keys", {bearer_header(owner_token), "Content-Type: application/json"},
           R"({"name": "agent", "scope": "read", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string api_key = json_of(created)["api_key"];
  const std::string key_id = json_of(created)["id"];
  agent_ = std::make_unique<AgentProcess>(
      write_config("credential = \"api_key\"\napi_key_env = \"SYNC_API_KEY\"\n"), log_,
      std::vector<std::string>{"SYNC_API_KEY=" + api_key});
  ASSERT_TRUE(eventually([&] { return both_supplied(); })) << agent_->log();
  EXPECT_TRUE(token_from_socket().starts_with("eyJ"));
  const Json token = Json::parse(get_over_socket(socket_, "/token").body);
  EXPECT_LE(token.value("expires_at", 0LL) - health().value("token_issued_at", 0LL), 900);

  ASSERT_EQ(post("/api/v1/keys/" + key_id + "/deactivate", {bearer_header(owner_token)}).status,
            200);
  ASSERT_TRUE(eventually([&] { return get_over_socket(socket_, "/token").status == 503; }))
      << agent_->log();
  const Json h = health();
  EXPECT_EQ(h.value("status", ""), "unavailable");
  EXPECT_GE(h.value("refused_total", 0), 1) << h.dump();
  EXPECT_NE(agent_->log().find("the server refused the token"), std::string::npos);
  EXPECT_EQ(agent_->stop(), 0);
  EXPECT_EQ(agent_->log().find(api_key), std::string::npos);
}

// Test that the agent refuses to start with a secret file others may read,
// and with a credential flag on the command line.
TEST_F(AgentTest, RefusesUnsafeCredentials) {
  const std::string config = write_config();
  ::chmod(secret_file_.c_str(), 0644);
  AgentProcess readable(config, log_);
  EXPECT_EQ(readable.wait(), 2);
  EXPECT_NE(readable.log().find("chmod 600"), std::string::npos) << readable.log();
  EXPECT_NE(::access(socket_.c_str(), F_OK), 0);

  ::chmod(secret_file_.c_str(), 0600);
  std::vector<std::string> args = {LATCHKEY_CLI_PATH, "agent",      "--config", config,
                                   "--client-secret", "from-a-flag"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_TRUNC);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(read_file(log_).find("--client-secret does not apply"), std::string::npos)
      << read_file(log_);
}

}  // namespace
}  // namespace latchkey::testing
