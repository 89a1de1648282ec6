// PgInstance: a private PostgreSQL 15 for the invalidation tests, in a
// temporary directory, on 127.0.0.1 with a free port, trust authentication,
// fsync off. Run as `nobody` when the tests run as root (PostgreSQL refuses
// root). Stopped and removed by the destructor, also when a test fails.
//
// The smallest starter these tests need until the shared harness
// (tests/support/postgres_server.h, branch pg-core) is merged.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace latchkey::testing {

class PgInstance {
 public:
  // nullptr (with the reason in `error`) when PostgreSQL cannot start.
  static std::unique_ptr<PgInstance> start(std::string* error);
  ~PgInstance();

  // postgres://latchkey@127.0.0.1:PORT/postgres
  std::string url() const;
  // Stops the server (fast shutdown) / starts it again on the same port.
  void stop();
  bool restart(std::string* error);

 private:
  PgInstance() = default;
  bool launch(std::string* error);

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace latchkey::testing
