#include "agent/agent_config.h"

#include <gtest/gtest.h>

#include <map>

#include "temp_dir.h"

namespace latchkey::agent {
namespace {

using testing::TempDir;

class AgentConfigTest : public ::testing::Test {
 protected:
  GetEnv env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  client::Result<AgentConfig> parse(const std::string& text) {
    return parse_agent_config(text, "agent.toml", env());
  }
  // A valid config around `extra` lines, with a secret file of `mode`.
  std::string base(mode_t mode = 0600) {
    secret_path_ = dir_.write("secret", "the-secret\n", mode);
    return "server_url = \"http://127.0.0.1:8080/\"\n"
           "credential = \"client_secret\"\n"
           "client_id = \"cli_abc\"\n"
           "client_secret_file = \"" +
           secret_path_ + "\"\n";
  }
  std::string error_of(const std::string& text) {
    auto config = parse(text);
    EXPECT_FALSE(config.has_value()) << text;
    return config ? "" : config.error().description;
  }

  TempDir dir_;
  std::string secret_path_;
  std::map<std::string, std::string> vars_;
};

// Test that a complete config is read with its defaults.
TEST_F(AgentConfigTest, ReadsAFullConfig) {
  vars_["RUNTIME_DIRECTORY"] = "/run/latchkey-agent/sync:/run/other";
  auto config = parse(base() +
                      "[[file_sink]]\npath = \"/var/lib/sync/token.json\"\n"
                      "[[file_sink]]\npath = \"/var/lib/sync/token\"\nformat = \"text\"\n"
                      "[refresh]\nat_fraction = 0.5\ncheck_interval_seconds = 5\n");
  ASSERT_TRUE(config.has_value()) << config.error().description;
  EXPECT_EQ(config->server_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->credential, CredentialKind::kClientSecret);
  EXPECT_EQ(config->client_id, "cli_abc");
  EXPECT_EQ(config->secret.from, SecretSource::From::kFile);
  EXPECT_EQ(config->secret.location, secret_path_);
  ASSERT_EQ(config->file_sinks.size(), 2u);
  EXPECT_EQ(config->file_sinks[0].format, SinkFormat::kJson);
  EXPECT_EQ(config->file_sinks[1].format, SinkFormat::kText);
  // The socket defaults into systemd's RuntimeDirectory (its first entry).
  EXPECT_EQ(config->socket.path, "/run/latchkey-agent/sync/agent.sock");
  EXPECT_EQ(config->socket.mode, 0600u);
  EXPECT_DOUBLE_EQ(config->refresh.at_fraction, 0.5);
  EXPECT_EQ(config->refresh.check_interval_seconds, 5);
  EXPECT_EQ(config->refresh.retry_max_seconds, 300);
}

// Test that a secret file group or others may read is refused, naming the fix.
TEST_F(AgentConfigTest, RefusesASecretFileOthersCanRead) {
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    const std::string message = error_of(base(mode) + "[socket]\npath = \"/run/a.sock\"\n");
    EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
    EXPECT_EQ(message.find("the-secret"), std::string::npos) << message;
  }
  EXPECT_TRUE(parse(base(0400) + "[socket]\npath = \"/run/a.sock\"\n").has_value());
}

// Test that a config without any credential source is refused.
TEST_F(AgentConfigTest, RefusesMissingCredential) {
  const std::string message = error_of(
      "server_url = \"http://127.0.0.1:1\"\ncredential = \"client_secret\"\n"
      "client_id = \"cli_abc\"\n[socket]\npath = \"/run/a.sock\"\n");
  EXPECT_NE(message.find("no credential"), std::string::npos) << message;
  EXPECT_NE(error_of("server_url = \"http://127.0.0.1:1\"\n[socket]\npath = \"/run/a.sock\"\n")
                .find("credential must be"),
            std::string::npos);
}

// Test that a secret written in the config itself is refused.
TEST_F(AgentConfigTest, RefusesASecretInTheConfig) {
  const std::string message =
      error_of(base() + "client_secret = \"x\"\n[socket]\npath = \"/run/a.sock\"\n");
  EXPECT_NE(message.find("may not be written in the config"), std::string::npos) << message;
}

// Test that a credential from an unset or empty environment variable is refused,
// and a set one accepted.
TEST_F(AgentConfigTest, ReadsTheCredentialFromTheEnvironment) {
  const std::string text =
      "server_url = \"http://127.0.0.1:1\"\ncredential = \"api_key\"\n"
      "api_key_env = \"SYNC_API_KEY\"\n[socket]\npath = \"/run/a.sock\"\n";
  EXPECT_NE(error_of(text).find("SYNC_API_KEY"), std::string::npos);
  vars_["SYNC_API_KEY"] = "";
  EXPECT_NE(error_of(text).find("not set or empty"), std::string::npos);
  vars_["SYNC_API_KEY"] = "key-value";
  auto config = parse(text);
  ASSERT_TRUE(config.has_value()) << config.error().description;
  EXPECT_EQ(config->credential, CredentialKind::kApiKey);
  EXPECT_EQ(config->secret.read(env()).value(), "key-value");
}

// Test that both a file and a variable for one credential is refused.
TEST_F(AgentConfigTest, RefusesTwoSourcesForOneCredential) {
  EXPECT_NE(error_of(base() + "client_secret_env = \"X\"\n[socket]\npath = \"/run/a.sock\"\n")
                .find("not both"),
            std::string::npos);
}

// Test that an unknown key, a wrong type and a TOML syntax error are named
// with their place.
TEST_F(AgentConfigTest, NamesMistakesWithTheirPlace) {
  EXPECT_NE(error_of(base() + "sever_url = 1\n").find("unknown key \"sever_url\" (line 5"),
            std::string::npos);
  EXPECT_NE(error_of(base() + "[refresh]\ncheck_interval_seconds = \"often\"\n")
                .find("refresh.check_interval_seconds must be an integer"),
            std::string::npos);
  const std::string syntax = error_of(base() + "[socket\n");
  EXPECT_NE(syntax.find("agent.toml"), std::string::npos) << syntax;
  EXPECT_NE(syntax.find("line 5"), std::string::npos) << syntax;
}

// Test that a config whose token goes nowhere is refused.
TEST_F(AgentConfigTest, RefusesNoSink) {
  EXPECT_NE(error_of(base()).find("the token goes nowhere"), std::string::npos);
  EXPECT_NE(error_of(base() + "[socket]\nenabled = false\n[[file_sink]]\npath = \"rel\"\n")
                .find("must be absolute"),
            std::string::npos);
}

// Test the socket's modes: 0600 by default, 0660 with a group; anything else refused.
TEST_F(AgentConfigTest, AcceptsOnlyPrivateSocketModes) {
  auto config = parse(base() +
                      "[socket]\npath = \"/run/a.sock\"\nmode = \"0660\"\n"
                      "group = \"sync-readers\"\n");
  ASSERT_TRUE(config.has_value()) << config.error().description;
  EXPECT_EQ(config->socket.mode, 0660u);
  EXPECT_EQ(config->socket.group, "sync-readers");
  EXPECT_TRUE(parse(base() + "[socket]\npath = \"/run/a.sock\"\nmode = 0o600\n").has_value());
  EXPECT_NE(error_of(base() + "[socket]\npath = \"/run/a.sock\"\nmode = \"0666\"\n")
                .find("socket.mode must be"),
            std::string::npos);
  EXPECT_NE(error_of(base() + "[socket]\npath = \"/run/a.sock\"\ngroup = \"g\"\n")
                .find("needs socket.mode"),
            std::string::npos);
}

// Test that ${NAME} expands in paths and an unset variable is an error.
TEST_F(AgentConfigTest, ExpandsVariablesInPaths) {
  vars_["CREDENTIALS_DIRECTORY"] = dir_.path();
  dir_.write("client_secret", "s\n", 0400);
  auto config = parse(
      "server_url = \"https://latchkey.example.com\"\ncredential = \"client_secret\"\n"
      "client_id = \"cli_abc\"\nclient_secret_file = \"${CREDENTIALS_DIRECTORY}/client_secret\"\n"
      "[socket]\npath = \"/run/a.sock\"\n");
  ASSERT_TRUE(config.has_value()) << config.error().description;
  EXPECT_EQ(config->secret.location, dir_.path() + "/client_secret");
  EXPECT_EQ(config->secret.read(env()).value(), "s");
  EXPECT_FALSE(expand_variables("${NOPE}/x", env()).has_value());
  EXPECT_FALSE(expand_variables("${UNTERMINATED", env()).has_value());
}

// Test that the shipped example (examples/agent.toml) is a valid config.
TEST_F(AgentConfigTest, TheExampleIsValid) {
  vars_["RUNTIME_DIRECTORY"] = "/run/latchkey-agent/risk-sync";
  vars_["CREDENTIALS_DIRECTORY"] = dir_.path();
  dir_.write("client_secret", "s\n", 0400);
  auto config = load_agent_config(LATCHKEY_SOURCE_DIR "/examples/agent.toml", env());
  ASSERT_TRUE(config.has_value()) << config.error().description;
  EXPECT_EQ(config->socket.path, "/run/latchkey-agent/risk-sync/agent.sock");
  ASSERT_EQ(config->file_sinks.size(), 1u);
  EXPECT_EQ(config->file_sinks[0].path, "/run/latchkey-agent/risk-sync/token.json");
  EXPECT_EQ(config->refresh.supersede_backoff_max_seconds, 900);
}

// Test the refresh policy's bounds.
TEST_F(AgentConfigTest, RefusesAPolicyOutOfBounds) {
  const std::string socket = "[socket]\npath = \"/run/a.sock\"\n";
  EXPECT_FALSE(parse(base() + socket + "[refresh]\nat_fraction = 1.0\n").has_value());
  EXPECT_FALSE(parse(base() + socket + "[refresh]\ncheck_interval_seconds = 0\n").has_value());
  EXPECT_FALSE(
      parse(base() + socket + "[refresh]\nretry_initial_seconds = 10\nretry_max_seconds = 5\n")
          .has_value());
  // A window the back-off could never grow in (supersedes are seen at checks).
  EXPECT_FALSE(parse(base() + socket +
                     "[refresh]\ncheck_interval_seconds = 60\nsupersede_backoff_max_seconds = 900\n"
                     "supersede_window_seconds = 960\n")
                   .has_value());
  EXPECT_TRUE(parse(base() + socket +
                    "[refresh]\ncheck_interval_seconds = 60\nsupersede_backoff_max_seconds = 900\n"
                    "supersede_window_seconds = 961\n")
                  .has_value());
}

// Test that a secret file is re-read, so that a rotated secret is used.
TEST_F(AgentConfigTest, ReReadsTheSecretFile) {
  auto config = parse(base() + "[socket]\npath = \"/run/a.sock\"\n");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->secret.read(env()).value(), "the-secret");
  dir_.write("secret", "rotated\n", 0600);
  EXPECT_EQ(config->secret.read(env()).value(), "rotated");
  ::chmod(secret_path_.c_str(), 0644);
  EXPECT_FALSE(config->secret.read(env()).has_value());
}

}  // namespace
}  // namespace latchkey::agent
