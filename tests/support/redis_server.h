// A real redis-server (Debian's redis-server 7) owned by a test: a fresh
// temporary directory, 127.0.0.1 on a free port, no persistence. Run as
// `nobody` when the tests run as root. stop() / start() keep the port (a
// Redis restart or outage); suspend() / resume() freeze it (timeouts). The
// destructor kills it and removes the directory, also when a test failed.
#pragma once

#include <sys/types.h>

#include <string>

namespace latchkey::testing {

class RedisServer {
 public:
  // Starts the server; fails the current test (ADD_FAILURE) if it does not
  // answer PING within a few seconds.
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  void stop();     // SIGKILL: everything in it is lost, as in a crash
  void start();    // again on the same port, empty
  void suspend();  // SIGSTOP: connections stay open, commands time out
  void resume();   // SIGCONT
  // True when PING answers PONG now.
  bool ping() const;

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool suspended_ = false;
};

}  // namespace latchkey::testing
