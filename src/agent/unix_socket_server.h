// A small HTTP/1.1 server on a Unix socket, for the agent's GET /token and
// GET /healthz (agent_http.h decides the answers). One request per
// connection (Connection: close); connections are served one after another
// by one thread, each given at most 2 s to send its request head (8 KiB at
// most), so a stuck reader delays others by 2 s at worst. Only local users
// the socket's mode admits can connect.
//
// open() creates the socket with the configured mode (0600, or 0660 and a
// group) and refuses to take over a path where another agent still listens;
// a stale socket left by a crash is replaced. stop() (or the destructor)
// stops serving and removes the socket, unless another process replaced it.
//
// Thread-safety: open/serve/stop from one thread; the handler runs on the
// server's thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "agent/agent_config.h"
#include "latchkey/client/error.h"

namespace latchkey::agent {

// Returns the whole response to the bytes read; `complete` when they hold a
// full request head.
using ConnectionHandler = std::function<std::string(std::string_view received, bool complete)>;

class UnixSocketServer {
 public:
  static client::Result<std::unique_ptr<UnixSocketServer>> open(const SocketConfig& config,
                                                                ConnectionHandler handler);
  ~UnixSocketServer();
  UnixSocketServer(const UnixSocketServer&) = delete;
  UnixSocketServer& operator=(const UnixSocketServer&) = delete;

  // Starts the serving thread.
  void start();
  // Stops serving, joins the thread, closes and removes the socket. Idempotent.
  void stop();

  const std::string& path() const { return path_; }

 private:
  UnixSocketServer(std::string path, int listen_fd, int wake_read, int wake_write, ino_t inode,
                   ConnectionHandler handler);
  void serve();
  void serve_connection(int fd);

  const std::string path_;
  int listen_fd_;
  int wake_read_;
  int wake_write_;
  const ino_t inode_;  // of the socket we bound, so stop() never removes another's
  const ConnectionHandler handler_;
  std::thread thread_;
};

}  // namespace latchkey::agent
