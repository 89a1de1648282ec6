// The configuration of `latchkey agent` (docs/agent.md): which server, which
// credential and where it comes from, where the token goes (file sinks, a
// Unix socket), and the refresh policy. Read from one TOML file; the
// credential itself is never in it, only where to find it (a file that only
// its owner may read, or an environment variable), and never on the command
// line.
//
// Pure parsing plus the checks that need the file system (the secret file's
// mode). Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/client/error.h"

namespace latchkey::agent {

// Looks up an environment variable; nullopt when unset.
using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

enum class CredentialKind {
  kClientSecret,  // seed 000: Client ID + Secret -> POST /api/v1/account/token
  kApiKey,        // seed 004: API key -> POST /v2/auth/token/access (15-minute JWT)
};

// Where a secret is read from: a file (re-read before every issuance, so a
// rotated secret is picked up without a restart) or an environment variable
// (read once, at start-up).
struct SecretSource {
  enum class From { kFile, kEnv };
  From from = From::kFile;
  std::string location;  // the file's path or the variable's name

  // The secret, without trailing whitespace. A file must be a regular file
  // of at most 4 KiB that neither group nor others may read or write.
  client::Result<std::string> read(const GetEnv& getenv) const;
  // "file /etc/..." or "environment variable NAME", for messages.
  std::string describe() const;
};

enum class SinkFormat {
  kJson,  // {"access_token": "...", "expires_at": <unix seconds>}\n (the SDK's FileTokenCache
          // format)
  kText,  // the token and a newline
};

struct FileSink {
  std::string path;
  SinkFormat format = SinkFormat::kJson;
};

struct SocketConfig {
  std::string path;           // empty: no socket
  std::uint32_t mode = 0600;  // 0600 or 0660
  std::string group;          // with 0660: the socket's group (default: the agent's group)
};

struct RefreshPolicy {
  double at_fraction = 0.8;                  // re-issue after this share of the token's lifetime
  std::int64_t check_interval_seconds = 60;  // GET /api/v1/account/me with the token
  std::int64_t retry_initial_seconds = 1;    // after a failed issuance, doubling ...
  std::int64_t retry_max_seconds = 300;      // ... up to this
  // A supersede within supersede_window_seconds of the previous one waits
  // before re-issuing: initial, doubling, up to max (the first re-issues at once).
  std::int64_t supersede_backoff_initial_seconds = 30;
  std::int64_t supersede_backoff_max_seconds = 900;
  std::int64_t supersede_window_seconds = 3600;
};

struct AgentConfig {
  std::string source;      // the config file's path, for messages
  std::string server_url;  // without trailing slashes
  std::string ca_file;     // PEM bundle; empty: the system trust store
  CredentialKind credential = CredentialKind::kClientSecret;
  std::string client_id;  // kClientSecret only
  SecretSource secret;    // the client secret or the API key
  std::vector<FileSink> file_sinks;
  SocketConfig socket;
  RefreshPolicy refresh;
};

// Parses `toml_text` (named `source` in messages). `getenv` resolves
// ${NAME} in paths, the *_env credential sources and the socket's default
// path ${RUNTIME_DIRECTORY}/agent.sock. Fails (kUsage) with a message that
// names the file, and the line and column for TOML syntax errors. Checks
// that the credential can be read now (file mode, variable set), without
// keeping it.
client::Result<AgentConfig> parse_agent_config(std::string_view toml_text,
                                               const std::string& source, const GetEnv& getenv);

// Reads and parses the file at `path`.
client::Result<AgentConfig> load_agent_config(const std::string& path, const GetEnv& getenv);

// Replaces each ${NAME} in `value` by the variable's value; an unset or
// empty variable is an error. A variable whose name ends in _DIRECTORY
// contributes its first colon-separated entry (systemd sets
// RUNTIME_DIRECTORY=a:b for several directories).
client::Result<std::string> expand_variables(std::string_view value, const GetEnv& getenv);

}  // namespace latchkey::agent
