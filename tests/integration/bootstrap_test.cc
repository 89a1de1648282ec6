// The first start cannot lock the admin out, and `latchkeyd recover-admin`
// recovers it offline (issue 13 item 4; docs/security/bootstrap.md).
//
// The crash loop uses the test-only hook LATCHKEY_TEST_CRASH_AT_SYNC=N
// (core/crash_points.h): latchkeyd kills itself with SIGKILL at its N-th
// durability point (each SQLite fsync, each fsync and rename of the
// bootstrap file, the printing and the storing of the admin).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/latchkeyd_process.h"

namespace latchkey::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory for one server: db/, bootstrap.json, ready, log.
class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/latchkey-bootstrap-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~Dir() {
    std::error_code ec;
    if (!std::getenv("LATCHKEY_KEEP_TEST_DATA")) fs::remove_all(path_, ec);
  }
  std::string data() const { return path_ + "/db"; }
  std::string bootstrap() const { return path_ + "/bootstrap.json"; }
  std::string ready() const { return path_ + "/ready"; }
  std::string log() const { return path_ + "/latchkeyd.log"; }

 private:
  std::string path_;
};

// Runs latchkeyd (stdout and stderr appended to `log`), with
// LATCHKEY_TEST_CRASH_AT_SYNC=crash_at when not empty ("N" or "N,stop").
pid_t spawn(const std::vector<std::string>& args, const std::string& log,
            const std::string& crash_at = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!crash_at.empty()) {
      ::setenv("LATCHKEY_TEST_CRASH_AT_SYNC", crash_at.c_str(), 1);
    } else {
      ::unsetenv("LATCHKEY_TEST_CRASH_AT_SYNC");
    }
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> all = {LATCHKEYD_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> serve_args(const Dir& dir, const std::string& listen = "127.0.0.1:0") {
  return {"--listen",     listen,      "--data",           dir.data(),
          "--ready-file", dir.ready(), "--bootstrap-file", dir.bootstrap(),
          "--log-level",  "warn",      "--access-log",     "false"};
}

// Starts latchkeyd on `dir` (an earlier run's ready file removed first).
pid_t serve(const Dir& dir, const std::string& crash_at = "",
            const std::string& listen = "127.0.0.1:0") {
  fs::remove(dir.ready());
  return spawn(serve_args(dir, listen), dir.log(), crash_at);
}

struct Started {
  bool ready = false;
  int status = 0;  // waitpid status when it exited instead
  std::string url;
};

// Waits (bounded) until the server wrote its ready file or exited.
Started wait_started(pid_t pid, const Dir& dir) {
  for (int i = 0; i < 1000; ++i) {
    if (fs::exists(dir.ready())) {
      std::string url = read_file(dir.ready());
      while (!url.empty() && url.back() == '\n') url.pop_back();
      return {true, 0, url};
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return {false, status, ""};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ADD_FAILURE() << "latchkeyd neither started nor exited within 10 s";
  return {false, status, ""};
}

int stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs a command to completion; returns its exit code (128 + signal when killed).
int run_to_end(const std::vector<std::string>& args, const std::string& log,
               const std::string& crash_at = "") {
  const pid_t pid = spawn(args, log, crash_at);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int recover_admin(const Dir& dir, const std::string& crash_at = "") {
  return run_to_end({"recover-admin", "--data", dir.data(), "--bootstrap-file", dir.bootstrap()},
                    dir.log(), crash_at);
}

// The bootstrap file's credentials, when it holds a whole document.
std::optional<Json> read_bootstrap(const Dir& dir) {
  if (!fs::exists(dir.bootstrap())) return std::nullopt;
  Json j = Json::parse(read_file(dir.bootstrap()), nullptr, false);
  if (j.is_discarded()) return Json();  // present but not a whole document
  return j;
}

bool complete(const Json& j) {
  return j.is_object() && j.value("url", "").starts_with("http://") &&
         j.value("user_id", "").starts_with("usr_") &&
         j.value("client_id", "").starts_with("cli_") &&
         j.value("client_secret", "").starts_with("lk_sec_") &&
         j.value("username", "") == "admin" && j.value("password", "").size() >= 12;
}

// POST /api/v1/console/sign-in (docs/console.md).
HttpResult sign_in(const std::string& url, const std::string& username,
                   const std::string& password) {
  HttpClient http;
  return http.send("POST", url + "/api/v1/console/sign-in", {"Content-Type: application/json"},
                   Json{{"username", username}, {"password", password}}.dump());
}

HttpResult issue(const std::string& url, const std::string& client_id, const std::string& secret) {
  HttpClient http;
  return http.send("POST", url + "/api/v1/account/token", {basic_header(client_id, secret)});
}

// Test that a kill -9 at every durability point of the very first start
// (each SQLite fsync, the bootstrap file's fsync, rename and directory
// fsync, the printing and the storing of the admin) leaves an admin that a
// normal restart makes usable: the bootstrap file is never present but
// empty or partial, and after the restart it holds a credential that works.
TEST(Bootstrap, KillAtEveryDurabilityPointOfTheFirstStartLeavesAUsableAdmin) {
  int crashes = 0;
  bool completed = false;
  for (int n = 1; n <= 200 && !completed; ++n) {
    SCOPED_TRACE("LATCHKEY_TEST_CRASH_AT_SYNC=" + std::to_string(n));
    Dir dir;
    const pid_t pid = serve(dir, std::to_string(n));
    const Started first = wait_started(pid, dir);
    if (first.ready) {
      // Fewer durability points than n: the start completed unharmed.
      EXPECT_EQ(stop(pid), 0);
      completed = true;
    } else {
      ASSERT_TRUE(WIFSIGNALED(first.status) && WTERMSIG(first.status) == SIGKILL)
          << "latchkeyd did not die by the hook:\n"
          << read_file(dir.log());
      ++crashes;
    }
    // After the crash: no file, or a whole one.
    const std::optional<Json> after_crash = read_bootstrap(dir);
    if (after_crash) {
      EXPECT_TRUE(complete(*after_crash))
          << "bootstrap file after the crash: " << read_file(dir.bootstrap());
    }

    // A normal restart: the admin is usable with what the file holds.
    const pid_t again = serve(dir);
    const Started second = wait_started(again, dir);
    ASSERT_TRUE(second.ready) << read_file(dir.log());
    const std::optional<Json> j = read_bootstrap(dir);
    ASSERT_TRUE(j && complete(*j)) << "no usable bootstrap file:\n" << read_file(dir.log());
    const HttpResult token =
        issue(second.url, (*j)["client_id"].get<std::string>(), (*j)["client_secret"]);
    EXPECT_EQ(token.status, 200) << token.body << "\n" << read_file(dir.log());
    // The console password in the same file was stored with the admin.
    const HttpResult console = sign_in(second.url, "admin", (*j)["password"]);
    EXPECT_EQ(console.status, 200) << console.body;
    EXPECT_EQ(stop(again), 0);
  }
  EXPECT_TRUE(completed);
  // SQLite's fsyncs (WAL creation, migrations, first signing key, the
  // admin) and the bootstrap path's own points: well over a handful.
  EXPECT_GE(crashes, 8);
  std::printf("first start: %d durability points, each survived\n", crashes);
}

// Test that a kill -9 at every durability point of recover-admin leaves
// the bootstrap file whole, and that running the command again then always
// gives a new secret that works.
TEST(Bootstrap, KillAtEveryDurabilityPointOfRecoverAdminIsRecoverable) {
  Dir dir;
  const pid_t pid = serve(dir);
  ASSERT_TRUE(wait_started(pid, dir).ready) << read_file(dir.log());
  ASSERT_EQ(stop(pid), 0);
  int crashes = 0;
  for (int n = 1; n <= 100; ++n) {
    SCOPED_TRACE("LATCHKEY_TEST_CRASH_AT_SYNC=" + std::to_string(n));
    const int code = recover_admin(dir, std::to_string(n));
    if (code == 0) break;
    ASSERT_EQ(code, 128 + SIGKILL) << read_file(dir.log());
    ++crashes;
    const std::optional<Json> j = read_bootstrap(dir);
    ASSERT_TRUE(j && complete(*j)) << read_file(dir.bootstrap());

    ASSERT_EQ(recover_admin(dir), 0) << read_file(dir.log());
    const Json fresh = *read_bootstrap(dir);
    const pid_t again = serve(dir);
    const Started started = wait_started(again, dir);
    ASSERT_TRUE(started.ready) << read_file(dir.log());
    EXPECT_EQ(issue(started.url, fresh["client_id"], fresh["client_secret"]).status, 200);
    EXPECT_EQ(stop(again), 0);
  }
  EXPECT_GE(crashes, 4);
  std::printf("recover-admin: %d durability points, each survived\n", crashes);
}

// Test that wherever recover-admin is killed, the old console password never
// outlives the old Client Secret: the console (sessions, their tokens, the
// password) is changed before the secret, so a half-done recovery never
// leaves a possibly stolen password working beside a new secret.
TEST(Bootstrap, KilledRecoverAdminNeverLeavesTheOldPasswordAlone) {
  Dir dir;
  const pid_t pid = serve(dir);
  ASSERT_TRUE(wait_started(pid, dir).ready) << read_file(dir.log());
  ASSERT_EQ(stop(pid), 0);
  int crashes = 0;
  for (int n = 1; n <= 100; ++n) {
    SCOPED_TRACE("LATCHKEY_TEST_CRASH_AT_SYNC=" + std::to_string(n));
    const Json old = *read_bootstrap(dir);
    const int code = recover_admin(dir, std::to_string(n));
    if (code == 0) break;
    ASSERT_EQ(code, 128 + SIGKILL) << read_file(dir.log());
    ++crashes;
    const pid_t checking = serve(dir);
    const Started started = wait_started(checking, dir);
    ASSERT_TRUE(started.ready) << read_file(dir.log());
    const bool old_secret =
        issue(started.url, old["client_id"], old["client_secret"]).status == 200;
    const bool old_password = sign_in(started.url, "admin", old["password"]).status == 200;
    EXPECT_FALSE(old_password && !old_secret) << "the old password works, the old secret not";
    EXPECT_EQ(stop(checking), 0);
    ASSERT_EQ(recover_admin(dir), 0) << read_file(dir.log());
  }
  EXPECT_GE(crashes, 4);
}

// Test that recover-admin refuses while latchkeyd holds the data directory,
// then (offline) issues a new secret: the old secret and the admin's token
// stop working, the new one works, the Client ID stays, the audit trail
// records admin.recovered without the secret, and the file is replaced.
TEST(Bootstrap, RecoverAdminIssuesANewSecretOffline) {
  LatchkeydProcess server;
  const AdminCredentials old = server.admin();
  Dir scratch;  // for the command's output
  const std::string data = server.data_dir() + "/db";
  const std::string file = server.data_dir() + "/bootstrap.json";
  const std::vector<std::string> command = {"recover-admin", "--data", data, "--bootstrap-file",
                                            file};
  const HttpResult token = issue(server.url(), old.client_id, old.client_secret);
  ASSERT_EQ(token.status, 200);
  const std::string old_token = Json::parse(token.body)["access_token"];

  // Online: refused, nothing changed.
  EXPECT_EQ(run_to_end(command, scratch.log()), 1);
  EXPECT_NE(read_file(scratch.log()).find("stop latchkeyd first"), std::string::npos)
      << read_file(scratch.log());
  EXPECT_EQ(Json::parse(read_file(file))["client_secret"], old.client_secret);
  EXPECT_EQ(issue(server.url(), old.client_id, old.client_secret).status, 200);

  // Offline: a new secret, printed once and written to the file.
  const std::string old_file = read_file(file);
  const HttpResult old_session = sign_in(server.url(), "admin", Json::parse(old_file)["password"]);
  ASSERT_EQ(old_session.status, 200) << old_session.body;
  const std::string old_cookie =
      old_session.header("set-cookie").substr(0, old_session.header("set-cookie").find(';'));
  // An API explorer token of that session: recover-admin revokes it too.
  HttpClient console_http;
  const HttpResult explorer = console_http.send(
      "POST", server.url() + "/api/v1/console/explorer-token",
      {"Cookie: " + old_cookie,
       "X-CSRF-Token: " + Json::parse(old_session.body)["csrf_token"].get<std::string>()});
  ASSERT_EQ(explorer.status, 200) << explorer.body;
  const std::string explorer_token = Json::parse(explorer.body)["access_token"];
  ASSERT_EQ(server.stop_gracefully(), 0);
  const std::string before = read_file(scratch.log());
  ASSERT_EQ(run_to_end(command, scratch.log()), 0) << read_file(scratch.log());
  const std::string printed = read_file(scratch.log()).substr(before.size());
  const Json fresh = Json::parse(read_file(file));
  EXPECT_EQ(fresh["client_id"], old.client_id);
  EXPECT_EQ(fresh["user_id"], old.user_id);
  const std::string secret = fresh["client_secret"];
  EXPECT_NE(secret, old.client_secret);
  EXPECT_NE(printed.find(secret), std::string::npos) << printed;
  EXPECT_NE(printed.find("admin.recovered"), std::string::npos) << printed;
  // A new console password too, printed once and in the file.
  const std::string password = fresh["password"];
  EXPECT_EQ(fresh["username"], "admin");
  EXPECT_NE(password, Json::parse(old_file)["password"]);
  EXPECT_NE(printed.find(password), std::string::npos) << printed;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(fs::exists(file + ".tmp"));

  server.restart();
  EXPECT_EQ(issue(server.url(), old.client_id, old.client_secret).status, 401);
  HttpClient http;
  EXPECT_EQ(
      http.send("GET", server.url() + "/api/v1/account/me", {bearer_header(old_token)}).status,
      401);
  EXPECT_EQ(sign_in(server.url(), "admin", Json::parse(old_file)["password"]).status, 401);
  EXPECT_EQ(sign_in(server.url(), "admin", password).status, 200);
  // The admin's console sessions ended with the recovery.
  EXPECT_EQ(
      http.send("GET", server.url() + "/api/v1/console/session", {"Cookie: " + old_cookie}).status,
      401);
  EXPECT_EQ(
      http.send("GET", server.url() + "/api/v1/users/me", {bearer_header(explorer_token)}).status,
      401);
  const HttpResult renewed = issue(server.url(), old.client_id, secret);
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  const std::string admin_token = Json::parse(renewed.body)["access_token"];
  const HttpResult page = http.send("GET", server.url() + "/api/v1/audit?principal=" + old.user_id,
                                    {bearer_header(admin_token)});
  ASSERT_EQ(page.status, 200) << page.body;
  bool recorded = false;
  const Json trail = Json::parse(page.body);
  for (const Json& event : trail["events"]) {
    if (event["action"] != "admin.recovered") continue;
    recorded = true;
    EXPECT_EQ(event["resource"], "user/" + old.user_id);
    EXPECT_EQ(event["decision"], "allow");
    EXPECT_EQ(event["credential"], "client " + old.client_id);
    EXPECT_EQ(event.dump().find("lk_sec_"), std::string::npos) << event.dump();
  }
  EXPECT_TRUE(recorded) << page.body;
}

// Runs one SQL statement on a stopped server's database.
void execute_sql(const std::string& database, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Test that recover-admin re-enables a disabled admin and turns its API
// access back on (no API can do it once the only admin is disabled).
TEST(Bootstrap, RecoverAdminReenablesADisabledAdmin) {
  Dir dir;
  const pid_t pid = serve(dir);
  Started started = wait_started(pid, dir);
  ASSERT_TRUE(started.ready) << read_file(dir.log());
  ASSERT_EQ(stop(pid), 0);
  execute_sql(dir.data() + "/latchkey.db",
              "UPDATE users SET disabled = 1, api_access = 0 WHERE name = 'admin'");
  const Json old = *read_bootstrap(dir);
  pid_t again = serve(dir);
  started = wait_started(again, dir);
  ASSERT_TRUE(started.ready) << read_file(dir.log());
  EXPECT_EQ(issue(started.url, old["client_id"], old["client_secret"]).status, 401);
  ASSERT_EQ(stop(again), 0);

  ASSERT_EQ(recover_admin(dir), 0) << read_file(dir.log());
  EXPECT_NE(read_file(dir.log()).find("enabled again"), std::string::npos) << read_file(dir.log());
  const Json fresh = *read_bootstrap(dir);
  again = serve(dir);
  started = wait_started(again, dir);
  ASSERT_TRUE(started.ready) << read_file(dir.log());
  const HttpResult token = issue(started.url, fresh["client_id"], fresh["client_secret"]);
  EXPECT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(stop(again), 0);
}

// Test that recover-admin creates the admin in a store without users (a
// first start killed before it stored the admin), and that the next start
// then keeps it (no second bootstrap).
TEST(Bootstrap, RecoverAdminCreatesTheAdminInAStoreWithoutUsers) {
  Dir dir;
  const pid_t pid = serve(dir, "3");  // the store exists, no user yet
  ASSERT_FALSE(wait_started(pid, dir).ready);
  ASSERT_TRUE(fs::exists(dir.data() + "/latchkey.db"));
  ASSERT_EQ(recover_admin(dir), 0) << read_file(dir.log());
  EXPECT_NE(read_file(dir.log()).find("was created"), std::string::npos) << read_file(dir.log());
  const Json created = *read_bootstrap(dir);
  const pid_t again = serve(dir);
  const Started started = wait_started(again, dir);
  ASSERT_TRUE(started.ready) << read_file(dir.log());
  EXPECT_EQ(read_bootstrap(dir)->dump(), created.dump());  // not bootstrapped again
  EXPECT_EQ(issue(started.url, created["client_id"], created["client_secret"]).status, 200);
  EXPECT_EQ(stop(again), 0);
}

// Test that recover-admin never creates a store: a wrong --data is refused.
TEST(Bootstrap, RecoverAdminRefusesADirectoryWithoutAStore) {
  Dir dir;
  EXPECT_EQ(recover_admin(dir), 1);
  EXPECT_NE(read_file(dir.log()).find("no latchkey store"), std::string::npos)
      << read_file(dir.log());
  EXPECT_FALSE(fs::exists(dir.data()));
  EXPECT_FALSE(fs::exists(dir.bootstrap()));
}

// Test that `latchkeyd --help` lists the recover-admin command.
TEST(Bootstrap, HelpListsRecoverAdmin) {
  Dir dir;
  EXPECT_EQ(run_to_end({"--help"}, dir.log()), 0);
  EXPECT_NE(read_file(dir.log()).find("recover-admin"), std::string::npos) << read_file(dir.log());
}

// Test that a first start refuses to replace a file that is not a
// bootstrap file, stores nothing, and bootstraps once the path is free.
TEST(Bootstrap, FirstStartNeverOverwritesAForeignFile) {
  Dir dir;
  { std::ofstream(dir.bootstrap()) << "not a bootstrap file\n"; }
  const pid_t pid = serve(dir);
  const Started refused = wait_started(pid, dir);
  ASSERT_FALSE(refused.ready);
  EXPECT_TRUE(WIFEXITED(refused.status) && WEXITSTATUS(refused.status) == 1);
  EXPECT_EQ(read_file(dir.bootstrap()), "not a bootstrap file\n");
  EXPECT_NE(read_file(dir.log()).find("not a latchkey bootstrap file"), std::string::npos);

  fs::remove(dir.bootstrap());
  const pid_t again = serve(dir);
  const Started started = wait_started(again, dir);
  ASSERT_TRUE(started.ready) << read_file(dir.log());
  const Json j = *read_bootstrap(dir);
  EXPECT_EQ(issue(started.url, j["client_id"], j["client_secret"]).status, 200);
  EXPECT_EQ(stop(again), 0);
}

// A loopback port that was free a moment ago.
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

bool connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Test that the bootstrap file is complete the moment the port accepts a
// connection: a client polling connect() reads a whole, working credential.
TEST(Bootstrap, BootstrapFileIsCompleteBeforeThePortOpens) {
  for (int round = 0; round < 3; ++round) {
    Dir dir;
    const int port = free_port();
    const pid_t pid = serve(dir, "", "127.0.0.1:" + std::to_string(port));
    bool connected = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!connected && std::chrono::steady_clock::now() < deadline) {
      connected = connects(port);
      if (int status = 0; !connected && waitpid(pid, &status, WNOHANG) == pid) break;
    }
    ASSERT_TRUE(connected) << read_file(dir.log());
    // Read at once, before anything else can happen.
    const std::string text = read_file(dir.bootstrap());
    const Json j = Json::parse(text, nullptr, false);
    EXPECT_TRUE(complete(j)) << "read at the first connection: '" << text << "'";
    if (complete(j)) {
      EXPECT_EQ(
          issue("http://127.0.0.1:" + std::to_string(port), j["client_id"], j["client_secret"])
              .status,
          200);
    }
    EXPECT_EQ(stop(pid), 0);
  }
}

// Test that at every durability point of the first start the port either
// refuses connections or the bootstrap file is already whole: latchkeyd is
// stopped (SIGSTOP) at its N-th point and the test looks, for N = 1, 2, ...
// until a start completes.
TEST(Bootstrap, AtEveryDurabilityPointThePortIsClosedOrTheFileWhole) {
  int closed = 0;
  int open = 0;
  bool completed = false;
  for (int n = 1; n <= 200 && !completed; ++n) {
    SCOPED_TRACE("LATCHKEY_TEST_CRASH_AT_SYNC=" + std::to_string(n) + ",stop");
    Dir dir;
    const int port = free_port();
    const pid_t pid = serve(dir, std::to_string(n) + ",stop", "127.0.0.1:" + std::to_string(port));
    bool stopped = false;
    for (int i = 0; i < 1000 && !stopped && !completed; ++i) {
      int status = 0;
      const pid_t changed = waitpid(pid, &status, WUNTRACED | WNOHANG);
      if (changed == pid && WIFSTOPPED(status)) {
        stopped = true;
      } else if (changed == pid) {
        FAIL() << "latchkeyd exited:\n" << read_file(dir.log());
      } else if (fs::exists(dir.ready())) {
        completed = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    if (completed) {
      EXPECT_EQ(stop(pid), 0);
      break;
    }
    ASSERT_TRUE(stopped) << read_file(dir.log());
    if (connects(port)) {
      ++open;
      const std::optional<Json> j = read_bootstrap(dir);
      EXPECT_TRUE(j && complete(*j))
          << "the port accepts, the file is '" << read_file(dir.bootstrap()) << "'";
    } else {
      ++closed;
    }
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  EXPECT_TRUE(completed);
  EXPECT_GE(closed, 8);  // the store's first fsyncs and the whole bootstrap
  std::printf("port closed at %d durability points, open (file whole) at %d\n", closed, open);
}

}  // namespace
}  // namespace latchkey::testing
