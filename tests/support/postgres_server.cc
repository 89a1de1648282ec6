#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace latchkey::testing {
namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

// Who runs PostgreSQL: ourselves, or `nobody` when we are root.
struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  RunAs who;
  if (geteuid() != 0) return who;
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) return who;
  who.drop = true;
  who.uid = nobody->pw_uid;
  who.gid = nobody->pw_gid;
  if (const group* nogroup = getgrnam("nogroup")) who.gid = nogroup->gr_gid;
  return who;
}

// Forks and execs argv as `who`, output appended to `log`. The child dies
// with this process. Returns the pid, or -1.
pid_t spawn(const std::vector<std::string>& args, const RunAs& who, const std::string& dir,
            const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  // PR_SET_PDEATHSIG fires when the forking THREAD ends: only tie the
  // server to the main thread, which lives as long as the process.
  const bool main_thread = gettid() == parent;
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int in = open("/dev/null", O_RDONLY);
  if (out >= 0) {
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
  }
  if (in >= 0) dup2(in, STDIN_FILENO);
  if (chdir(dir.c_str()) != 0) _exit(126);
  if (who.drop) {
    if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
  }
  // After the uid change, which would clear it.
  if (main_thread) {
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(126);
  }
  execv(argv[0], argv.data());
  _exit(127);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string quoted_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

PostgresServer::PostgresServer() {
  if (const char* external = std::getenv("LATCHKEY_TEST_POSTGRES_URL"); external && *external) {
    std::string base = external;
    const auto scheme = base.find("://");
    const auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash != std::string::npos) base.resize(slash);
    external_ = true;
    external_base_ = base;
    ok_ = true;
    return;
  }
  char pattern[] = "/tmp/latchkey-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    ADD_FAILURE() << "postgres: cannot create a temporary directory";
    return;
  }
  dir_ = pattern;
  const RunAs who = run_as();
  if (who.drop && chown(dir_.c_str(), who.uid, who.gid) != 0) {
    ADD_FAILURE() << "postgres: cannot chown " << dir_ << " to nobody";
    return;
  }
  const pid_t initdb = spawn({std::string(kBin) + "initdb", "-D", dir_ + "/data", "-A", "trust",
                              "-U", "latchkey", "--no-sync", "-E", "UTF8", "--locale=C"},
                             who, dir_, dir_ + "/initdb.log");
  int status = 0;
  if (initdb < 0 || waitpid(initdb, &status, 0) != initdb || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "postgres: initdb failed:\n" << read_file(dir_ + "/initdb.log");
    return;
  }
  // A port another process takes between our probe and postgres' bind makes
  // postgres exit: try a few.
  for (int attempt = 0; attempt < 5 && !ok_; ++attempt) {
    port_ = free_port();
    ok_ = launch() && wait_ready();
    if (!ok_ && pid_ > 0) stop();
  }
  if (!ok_) ADD_FAILURE() << "postgres: did not start:\n" << read_file(dir_ + "/postgres.log");
}

PostgresServer::~PostgresServer() {
  if (external_) return;
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string PostgresServer::url(std::string_view database) const {
  if (external_) return external_base_ + "/" + std::string(database);
  return "postgres://latchkey@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

bool PostgresServer::launch() {
  const std::string port = std::to_string(port_);
  // LATCHKEY_TEST_POSTGRES_DURABLE=1 (measurements only): PostgreSQL's
  // durable defaults instead of the fast ones.
  const char* durable_env = std::getenv("LATCHKEY_TEST_POSTGRES_DURABLE");
  const std::string durable = durable_env && *durable_env == '1' ? "on" : "off";
  pid_ = spawn({std::string(kBin) + "postgres", "-D", dir_ + "/data", "-k", dir_, "-p", port, "-c",
                "listen_addresses=127.0.0.1", "-c", "fsync=" + durable, "-c",
                "synchronous_commit=" + durable, "-c", "full_page_writes=" + durable, "-c",
                "max_connections=300", "-c", "shared_buffers=32MB"},
               run_as(), dir_, dir_ + "/postgres.log");
  return pid_ > 0;
}

bool PostgresServer::wait_ready() {
  const std::string conninfo = url("postgres");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // exited (e.g. the port was taken)
      return false;
    }
    if (PQping(conninfo.c_str()) == PQPING_OK) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void PostgresServer::stop() {
  if (external_) {
    ADD_FAILURE() << "postgres: cannot stop the server of LATCHKEY_TEST_POSTGRES_URL";
    return;
  }
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid_, nullptr, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

void PostgresServer::start() {
  if (external_) {
    ADD_FAILURE() << "postgres: cannot start the server of LATCHKEY_TEST_POSTGRES_URL";
    return;
  }
  if (pid_ > 0) return;
  if (!launch() || !wait_ready()) {
    ADD_FAILURE() << "postgres: did not restart:\n" << read_file(dir_ + "/postgres.log");
  }
}

bool PostgresServer::execute(std::string_view database, std::string_view sql) {
  PGconn* conn = PQconnectdb(url(database).c_str());
  bool done = PQstatus(conn) == CONNECTION_OK;
  std::string message = PQerrorMessage(conn);
  if (done) {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    done = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!done) message = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!done) ADD_FAILURE() << "postgres: " << sql << ": " << message;
  return done;
}

bool PostgresServer::create_database(std::string_view name, std::string_view template_name) {
  return execute("postgres", "CREATE DATABASE " + quoted_identifier(name) + " TEMPLATE " +
                                 quoted_identifier(template_name));
}

PostgresServer& shared_postgres_server() {
  static PostgresServer server;
  return server;
}

std::string fresh_schema_url(std::string_view tag) {
  static std::atomic<int> counter{0};
  std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  for (char c : tag) {
    if (name.size() >= 60) break;
    name += (std::isalnum(static_cast<unsigned char>(c)) != 0)
                ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : '_';
  }
  PostgresServer& server = shared_postgres_server();
  if (!server.ok() || !server.execute("postgres", "CREATE SCHEMA " + name)) return {};
  // libpq URL: options=-csearch_path=<schema>, percent-encoded.
  return server.url("postgres") + "?options=-csearch_path%3D" + name;
}

}  // namespace latchkey::testing
