#include "agent/agent.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "support/fake_transport.h"
#include "temp_dir.h"

namespace latchkey::agent {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr std::int64_t kNow = 1'800'000'000;

std::string get_over(const std::string& socket, const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket.c_str(), socket.size() + 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: agent\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[1024];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) out.append(buffer, n);
  }
  ::close(fd);
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

GetEnv no_env() {
  return [](const std::string&) { return std::nullopt; };
}

// A server that issues "tok-N" and accepts only the latest one.
std::shared_ptr<testing::FakeTransport> fake_server() {
  auto issued = std::make_shared<int>(0);
  return std::make_shared<testing::FakeTransport>(
      [issued](const client::HttpRequest& request) -> client::Result<client::HttpResponse> {
        if (request.url.ends_with("/api/v1/account/token")) {
          ++*issued;
          return testing::FakeTransport::json(
              200,
              "{\"access_token\":\"tok-" + std::to_string(*issued) +
                  "\",\"token_type\":\"bearer\",\"expires_in\":3600,\"scope\":\"read write\"}");
        }
        return testing::FakeTransport::json(200, "{\"id\":\"usr_1\"}");
      });
}

class AgentRunTest : public ::testing::Test {
 protected:
  AgentConfig config() {
    AgentConfig c;
    c.server_url = "http://127.0.0.1:1";
    c.client_id = "cli_abc";
    c.secret = {SecretSource::From::kFile, dir_.write("secret", "s3cret\n")};
    c.file_sinks = {{dir_.path() + "/token", SinkFormat::kText}};
    c.socket.path = dir_.path() + "/agent.sock";
    return c;
  }
  AgentEnvironment env() {
    return AgentEnvironment{
        .getenv = no_env(),
        .make_transport = [this](const client::TransportOptions&) { return transport_; },
        .clock = [] { return kNow; },
        .log = &log_};
  }

  TempDir dir_;
  std::shared_ptr<testing::FakeTransport> transport_ = fake_server();
  std::ostringstream log_;
};

// Test that a running agent publishes to its file sink and socket, and that
// a stop removes the socket and keeps the file.
TEST_F(AgentRunTest, PublishesAndStopsCleanly) {
  const AgentConfig c = config();
  auto agent = Agent::create(c, env());
  ASSERT_TRUE(agent.has_value()) << agent.error().description;
  std::thread runner([&] { (*agent)->run(); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (read_all(c.file_sinks[0].path) != "tok-1\n" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // poll for the condition, bounded by the deadline
  }
  EXPECT_EQ(read_all(c.file_sinks[0].path), "tok-1\n");
  EXPECT_NE(get_over(c.socket.path, "/token").find("{\"access_token\":\"tok-1\""),
            std::string::npos);
  EXPECT_NE(get_over(c.socket.path, "/healthz").find("\"status\":\"ok\""), std::string::npos);
  (*agent)->request_stop();
  runner.join();
  struct stat st {};
  EXPECT_NE(::lstat(c.socket.path.c_str(), &st), 0);
  EXPECT_EQ(::stat(c.file_sinks[0].path.c_str(), &st), 0);
  EXPECT_EQ(log_.str().find("s3cret"), std::string::npos);
  EXPECT_EQ(log_.str().find("tok-1"), std::string::npos);
  EXPECT_NE(log_.str().find("stopped; socket removed"), std::string::npos) << log_.str();
}

// Test that a restarted agent re-uses the account token in its JSON sink
// when the server still accepts it for the configured client.
TEST_F(AgentRunTest, ReusesTheTokenOfThePreviousRun) {
  AgentConfig c = config();
  c.file_sinks = {{dir_.path() + "/token.json", SinkFormat::kJson}};
  dir_.write("token.json", "{\"access_token\":\"tok-previous\",\"expires_at\":" +
                               std::to_string(kNow + 100'000) + "}\n");
  transport_->set_handler([](const client::HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/me") &&
        testing::authorization_of(request) == "Bearer tok-previous") {
      return client::Result<client::HttpResponse>(
          testing::FakeTransport::json(200, "{\"id\":\"usr_1\",\"client_id\":\"cli_abc\"}"));
    }
    return client::Result<client::HttpResponse>(testing::FakeTransport::json(500, "{}"));
  });
  auto agent = Agent::create(c, env());
  ASSERT_TRUE(agent.has_value()) << agent.error().description;
  std::thread runner([&] { (*agent)->run(); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(*agent)->status().token && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // poll for the condition, bounded by the deadline
  }
  (*agent)->request_stop();
  runner.join();
  ASSERT_TRUE((*agent)->status().token.has_value()) << log_.str();
  EXPECT_EQ((*agent)->status().token->access_token, "tok-previous");
  EXPECT_EQ(transport_->count("POST", "/api/v1/account/token"), 0u);
}

// Test that a sink whose directory does not exist stops the start.
TEST_F(AgentRunTest, RefusesAMissingSinkDirectory) {
  AgentConfig c = config();
  c.file_sinks = {{dir_.path() + "/missing/token", SinkFormat::kJson}};
  auto agent = Agent::create(c, env());
  ASSERT_FALSE(agent.has_value());
  EXPECT_NE(agent.error().description.find("does not exist"), std::string::npos);
}

// Test the CLI wiring: a missing config, and a credential flag, are usage
// errors (exit 2) that say why.
TEST(AgentCommandTest, RefusesBadInvocations) {
  cli::CliEnvironment env{.getenv = no_env(),
                          .make_transport =
                              [](const client::TransportOptions&) {
                                return std::shared_ptr<client::Transport>(fake_server());
                              },
                          .clock = [] { return kNow; }};
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::run_cli({"agent", "--config", "/nonexistent/agent.toml"}, env, out, err),
            cli::kExitUsage);
  EXPECT_NE(err.str().find("cannot read the agent config /nonexistent/agent.toml"),
            std::string::npos)
      << err.str();
  err.str("");
  EXPECT_EQ(cli::run_cli({"agent", "--config", "x.toml", "--client-secret", "s"}, env, out, err),
            cli::kExitUsage);
  EXPECT_NE(err.str().find("--client-secret does not apply"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(cli::run_cli({"agent"}, env, out, err), cli::kExitUsage);
  EXPECT_NE(err.str().find("--config"), std::string::npos) << err.str();
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace latchkey::agent
