#include "agent/agent.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "agent/agent_http.h"
#include "agent/file_sink.h"
#include "agent/sdk_issuers.h"
#include "latchkey/client/token_cache.h"

namespace latchkey::agent {
namespace {

client::ClientError startup_error(std::string description) {
  return client::ClientError{.kind = client::ErrorKind::kUsage,
                             .description = std::move(description)};
}

bool is_loopback_http(const std::string& url) {
  for (const char* prefix : {"http://127.", "http://localhost", "http://[::1]"}) {
    if (url.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

Agent::Agent(AgentConfig config, AgentEnvironment env)
    : config_(std::move(config)), env_(std::move(env)), log_(*env_.log, env_.clock) {}

Agent::~Agent() {
  if (socket_) socket_->stop();
}

client::Result<std::unique_ptr<Agent>> Agent::create(AgentConfig config, AgentEnvironment env) {
  if (!env.clock) env.clock = client::system_unix_seconds;
  for (const FileSink& sink : config.file_sinks) {
    const std::filesystem::path dir = std::filesystem::path(sink.path).parent_path();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return std::unexpected(startup_error("file sink " + sink.path + ": the directory " +
                                           dir.string() + " does not exist (it is not created)"));
    }
  }
  std::unique_ptr<Agent> agent(new Agent(std::move(config), std::move(env)));
  const AgentConfig& c = agent->config_;
  client::TransportOptions transport_options;
  transport_options.connect_timeout = std::chrono::seconds(5);
  transport_options.timeout = std::chrono::seconds(15);
  transport_options.ca_file = c.ca_file;
  transport_options.user_agent = "latchkey-agent/0.1";
  std::shared_ptr<client::Transport> transport = agent->env_.make_transport(transport_options);
  agent->issuer_ = make_issuer(c, agent->env_.getenv, transport, agent->env_.clock);
  agent->checker_ = std::make_unique<MeChecker>(c.server_url, transport);
  Agent* self = agent.get();
  agent->keeper_ = std::make_unique<TokenKeeper>(
      c.refresh, *agent->issuer_, *agent->checker_,
      [self](const client::Token& token) { return self->publish(token); }, agent->env_.clock,
      agent->log_);
  if (!c.socket.path.empty()) {
    const client::UnixClock clock = agent->env_.clock;
    auto socket =
        UnixSocketServer::open(c.socket, [self, clock](std::string_view received, bool complete) {
          return answer_agent_request(received, complete, self->keeper_->status(), clock());
        });
    if (!socket) return std::unexpected(std::move(socket.error()));
    agent->socket_ = std::move(*socket);
  }
  return agent;
}

int Agent::publish(const client::Token& token) {
  int failures = 0;
  for (const FileSink& sink : config_.file_sinks) {
    if (auto written = write_file_atomically(sink.path, sink_content(token, sink.format));
        !written) {
      ++failures;
      log_.error(written.error().description + "; readers of this file keep the previous token");
    }
  }
  return failures;
}

void Agent::adopt_previous_token() {
  // Only account tokens: issuing one supersedes the previous run's token
  // that readers may still hold, while a JWT costs nothing to re-issue.
  if (config_.credential != CredentialKind::kClientSecret) return;
  for (const FileSink& sink : config_.file_sinks) {
    if (sink.format != SinkFormat::kJson) continue;
    if (auto token = client::FileTokenCache(sink.path).load()) {
      keeper_->offer_previous(*token, config_.client_id);
      return;
    }
  }
}

void Agent::request_stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  wake_.notify_all();
}

void Agent::run() {
  std::string where;
  for (const FileSink& sink : config_.file_sinks) where += " file " + sink.path + ",";
  if (socket_) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", config_.socket.mode);
    where += " socket " + socket_->path() + " (mode " + mode +
             (config_.socket.group.empty() ? "" : ", group " + config_.socket.group) + "),";
    socket_->start();
  }
  where.pop_back();
  log_.info("started: server " + config_.server_url + ", " +
            (config_.credential == CredentialKind::kClientSecret
                 ? "account token of client " + config_.client_id
                 : std::string("JWT from an API key")) +
            " (credential from " + config_.secret.describe() + "); token to" + where);
  if (config_.server_url.starts_with("http://") && !is_loopback_http(config_.server_url)) {
    log_.warn(config_.server_url +
              " is plain http: the credential and tokens cross the network unencrypted");
  }
  adopt_previous_token();
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const std::int64_t next = keeper_->step();
    lock.lock();
    const std::int64_t wait = std::clamp<std::int64_t>(next - env_.clock(), 0, 3600);
    if (wait > 0) wake_.wait_for(lock, std::chrono::seconds(wait), [this] { return stop_; });
  }
  lock.unlock();
  if (socket_) socket_->stop();
  log_.info("stopped" + std::string(socket_ ? "; socket removed" : ""));
}

int run_agent_until_signalled(AgentConfig config, AgentEnvironment env) {
  // Blocked here, so every thread started from now on has them blocked and
  // only the waiter below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // `systemctl reload` must not end the agent
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::ostream& out = *env.log;
  auto agent = Agent::create(std::move(config), std::move(env));
  if (!agent) {
    AgentLog(out, nullptr).error("cannot start: " + agent.error().description);
    return kAgentExitStartup;
  }
  Agent* running = agent->get();
  std::thread waiter([running, signals] {
    int received = 0;
    while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
      running->log().info(
          "received SIGHUP: nothing to reload (the credential file is re-read before every "
          "issuance; other settings need a restart)");
    }
    running->log().info(std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") +
                        ", stopping");
    running->request_stop();
  });
  running->run();
  waiter.join();
  return kAgentExitStopped;
}

}  // namespace latchkey::agent
