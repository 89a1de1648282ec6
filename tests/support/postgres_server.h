// A real PostgreSQL 15 for tests: initdb in a fresh temporary directory,
// postgres on 127.0.0.1 and a free port, owned by the test run and stopped
// (and its directory removed) when the object goes, also when a test fails.
//
// PostgreSQL refuses to run as root: when the tests run as root (CI), initdb
// and postgres run as `nobody` (the directory is chowned to it). The server
// trusts local connections (user "latchkey", no password) and trades
// durability for speed (fsync, synchronous_commit and full_page_writes off);
// stop()/start() keep the data directory and the port, so that a test can
// restart PostgreSQL mid-load. Started from the main thread, the server
// also dies with a crashed test process (SIGQUIT on parent death); started
// from another thread it is only stopped by the destructor.
//
// LATCHKEY_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB uses that server
// instead (nothing is started; stop()/start() then fail the test).
//
// One server per test binary is the intent (e.g. in a gtest Environment);
// each test creates its own database with create_database().
//
// Thread-safety: url() and create_database() may be called from any thread;
// construction, stop() and start() from one thread while nothing else uses
// the server.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace latchkey::testing {

class PostgresServer {
 public:
  // Starts the server; fails the current test (ADD_FAILURE) and leaves
  // ok() false if it does not come up within 60 s.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool ok() const { return ok_; }
  // postgres://latchkey@127.0.0.1:PORT/DATABASE (libpq URL, no password).
  std::string url(std::string_view database = "postgres") const;
  int port() const { return port_; }

  // CREATE DATABASE name TEMPLATE template (template0 by default: empty).
  // A template must have no open connection. False (and ADD_FAILURE) on
  // failure.
  bool create_database(std::string_view name, std::string_view template_name = "template0");
  // Runs SQL on `database` with a connection of its own; false (and
  // ADD_FAILURE) on failure.
  bool execute(std::string_view database, std::string_view sql);

  // Fast shutdown (SIGINT: clients are disconnected), waiting until the
  // server is gone; SIGKILL after 30 s.
  void stop();
  // Starts the server again on the same directory and port; waits until
  // it accepts connections.
  void start();
  bool running() const { return pid_ > 0; }

 private:
  bool launch();
  bool wait_ready();

  bool ok_ = false;
  bool external_ = false;
  std::string external_base_;  // the env URL without its database
  std::string dir_;            // temp root: data/, the socket, the log
  int port_ = 0;
  pid_t pid_ = -1;
};

// The test binary's one server, started on first use (thread-safe) and
// stopped when the process exits.
PostgresServer& shared_postgres_server();

// A fresh, empty schema on the shared server, and the URL whose connections
// use it (search_path): a namespace per test that costs no database copy.
// `tag` makes the name readable; the name is unique in this process and
// across processes (pid).
std::string fresh_schema_url(std::string_view tag);

}  // namespace latchkey::testing
