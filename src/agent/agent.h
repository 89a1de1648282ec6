// `latchkey agent`: one process holds the credential, keeps a token fresh
// (TokenKeeper), writes it to the file sinks and serves it on a Unix socket,
// for the integrations that share one account (seed 001: "centralize token
// issuance"). See docs/agent.md.
//
// Agent::create() checks what can be checked before running (the sink
// directories exist, the socket can be created) and fails with a message;
// run() serves until request_stop(), then removes the socket. The token
// files are left in place: the token in them stays valid, and the next run
// re-uses an account token from a JSON sink when the server still accepts
// it as the configured client's.
//
// Thread-safety: request_stop() and status() from any thread; run() once.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>

#include "agent/agent_config.h"
#include "agent/agent_log.h"
#include "agent/token_keeper.h"
#include "agent/unix_socket_server.h"
#include "latchkey/client/transport.h"

namespace latchkey::agent {

inline constexpr int kAgentExitStopped = 0;  // stopped by SIGTERM or SIGINT
inline constexpr int kAgentExitStartup = 2;  // bad config, or could not start

struct AgentEnvironment {
  GetEnv getenv;
  std::function<std::shared_ptr<client::Transport>(const client::TransportOptions&)> make_transport;
  client::UnixClock clock;      // default: the system clock
  std::ostream* log = nullptr;  // required: where log lines go (stderr)
};

class Agent {
 public:
  static client::Result<std::unique_ptr<Agent>> create(AgentConfig config, AgentEnvironment env);
  ~Agent();

  void run();
  void request_stop();
  KeeperStatus status() const { return keeper_->status(); }
  AgentLog& log() { return log_; }

 private:
  Agent(AgentConfig config, AgentEnvironment env);
  int publish(const client::Token& token);
  // Takes over a still-valid account token from a JSON file sink, so that a
  // restart of the agent does not supersede the token readers hold.
  void adopt_previous_token();

  const AgentConfig config_;
  const AgentEnvironment env_;
  AgentLog log_;
  std::unique_ptr<Issuer> issuer_;
  std::unique_ptr<Checker> checker_;
  std::unique_ptr<TokenKeeper> keeper_;
  std::unique_ptr<UnixSocketServer> socket_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
};

// Loads nothing, prints nothing on stdout: runs `config` in the foreground
// until SIGTERM or SIGINT, logging to env.log. Must be called before the
// process starts other threads (it blocks the two signals in all of them).
// Returns kAgentExitStopped, or kAgentExitStartup after logging why.
int run_agent_until_signalled(AgentConfig config, AgentEnvironment env);

}  // namespace latchkey::agent
