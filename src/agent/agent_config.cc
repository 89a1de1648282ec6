#include "agent/agent_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace latchkey::agent {
namespace {

constexpr std::size_t kMaxSecretBytes = 4096;
constexpr std::size_t kMaxConfigBytes = 1 << 20;

client::ClientError usage(std::string description) {
  return client::ClientError{.kind = client::ErrorKind::kUsage,
                             .description = std::move(description)};
}

std::string trim_trailing_space(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

// Collects the first problem; later ones are ignored so that the message
// names the first thing to fix.
class Problems {
 public:
  void add(std::string message) {
    if (first_.empty()) first_ = std::move(message);
  }
  bool any() const { return !first_.empty(); }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

std::string where(const toml::node& node) {
  const auto& begin = node.source().begin;
  return " (line " + std::to_string(begin.line) + ", column " + std::to_string(begin.column) + ")";
}

// Unknown keys are an error, so that a misspelt option is never silently
// ignored.
void refuse_unknown(const toml::table& table, const std::set<std::string, std::less<>>& known,
                    const std::string& prefix, Problems& problems) {
  for (const auto& [key, value] : table) {
    if (!known.contains(key.str())) {
      problems.add("unknown key \"" + prefix + std::string(key.str()) + "\"" + where(value));
    }
  }
}

std::optional<std::string> string_at(const toml::table& table, const char* key,
                                     const std::string& prefix, Problems& problems) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  if (auto value = node->value_exact<std::string>()) return *value;
  problems.add(prefix + key + " must be a string" + where(*node));
  return std::nullopt;
}

void integer_at(const toml::table& table, const char* key, std::int64_t min, std::int64_t max,
                std::int64_t& out, Problems& problems) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  auto value = node->value_exact<std::int64_t>();
  if (!value || *value < min || *value > max) {
    problems.add(std::string("refresh.") + key + " must be an integer from " + std::to_string(min) +
                 " to " + std::to_string(max) + where(*node));
    return;
  }
  out = *value;
}

std::optional<SecretSource> secret_source(const toml::table& table, const std::string& name,
                                          const GetEnv& getenv, Problems& problems) {
  auto file = string_at(table, (name + "_file").c_str(), "", problems);
  auto env = string_at(table, (name + "_env").c_str(), "", problems);
  if (file && env) {
    problems.add("give either " + name + "_file or " + name + "_env, not both");
    return std::nullopt;
  }
  if (!file && !env) {
    problems.add("no credential: set " + name +
                 "_file (a file only the agent's user may read) or " + name +
                 "_env (an environment variable)");
    return std::nullopt;
  }
  SecretSource source;
  if (file) {
    auto path = expand_variables(*file, getenv);
    if (!path) {
      problems.add(name + "_file: " + path.error().description);
      return std::nullopt;
    }
    source = {SecretSource::From::kFile, *path};
  } else {
    source = {SecretSource::From::kEnv, *env};
  }
  // Fail at start-up, not at the first issuance.
  if (auto secret = source.read(getenv); !secret) {
    problems.add(secret.error().description);
    return std::nullopt;
  }
  return source;
}

std::optional<std::uint32_t> socket_mode(const toml::node& node, Problems& problems) {
  std::optional<std::int64_t> mode;
  if (auto text = node.value_exact<std::string>()) {
    if (*text == "0600" || *text == "600") mode = 0600;
    if (*text == "0660" || *text == "660") mode = 0660;
  } else if (auto number = node.value_exact<std::int64_t>()) {
    mode = *number;  // 0o600 in TOML
  }
  if (mode != 0600 && mode != 0660) {
    problems.add("socket.mode must be \"0600\" or \"0660\"" + where(node));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*mode);
}

void parse_socket(const toml::table* table, const GetEnv& getenv, SocketConfig& out,
                  Problems& problems) {
  bool enabled = true;
  std::optional<std::string> path;
  if (table != nullptr) {
    refuse_unknown(*table, {"enabled", "path", "mode", "group"}, "socket.", problems);
    if (const toml::node* node = table->get("enabled")) {
      if (auto value = node->value_exact<bool>()) {
        enabled = *value;
      } else {
        problems.add("socket.enabled must be true or false" + where(*node));
      }
    }
    path = string_at(*table, "path", "socket.", problems);
    if (const toml::node* node = table->get("mode")) {
      if (auto mode = socket_mode(*node, problems)) out.mode = *mode;
    }
    if (auto group = string_at(*table, "group", "socket.", problems)) out.group = *group;
  }
  if (!out.group.empty() && out.mode != 0660) {
    problems.add(
        "socket.group needs socket.mode = \"0660\" (with 0600 only the agent's user may "
        "connect)");
  }
  if (!enabled) return;
  if (path) {
    auto expanded = expand_variables(*path, getenv);
    if (!expanded) {
      problems.add("socket.path: " + expanded.error().description);
      return;
    }
    out.path = *expanded;
  } else if (auto runtime = getenv("RUNTIME_DIRECTORY"); runtime && !runtime->empty()) {
    out.path = runtime->substr(0, runtime->find(':')) + "/agent.sock";
  }
  // sockaddr_un::sun_path holds 108 bytes with the terminator.
  if (out.path.size() > 107) problems.add("socket.path is longer than 107 bytes");
  if (!out.path.empty() && !out.path.starts_with('/')) {
    problems.add("socket.path must be absolute");
  }
}

void parse_sinks(const toml::node* node, const GetEnv& getenv, std::vector<FileSink>& out,
                 Problems& problems) {
  if (node == nullptr) return;
  const toml::array* sinks = node->as_array();
  if (sinks == nullptr) {
    problems.add("file_sink must be an array of tables ([[file_sink]])" + where(*node));
    return;
  }
  for (const toml::node& entry : *sinks) {
    const toml::table* table = entry.as_table();
    if (table == nullptr) {
      problems.add("each [[file_sink]] must be a table" + where(entry));
      continue;
    }
    refuse_unknown(*table, {"path", "format"}, "file_sink.", problems);
    FileSink sink;
    auto path = string_at(*table, "path", "file_sink.", problems);
    if (!path) {
      problems.add("[[file_sink]] needs a path" + where(entry));
      continue;
    }
    auto expanded = expand_variables(*path, getenv);
    if (!expanded) {
      problems.add("file_sink.path: " + expanded.error().description);
      continue;
    }
    sink.path = *expanded;
    if (!sink.path.starts_with('/')) problems.add("file_sink.path must be absolute" + where(entry));
    if (sink.path.ends_with('/')) problems.add("file_sink.path names a directory" + where(entry));
    if (auto format = string_at(*table, "format", "file_sink.", problems)) {
      if (*format == "json") {
        sink.format = SinkFormat::kJson;
      } else if (*format == "text") {
        sink.format = SinkFormat::kText;
      } else {
        problems.add("file_sink.format must be \"json\" or \"text\"" + where(entry));
      }
    }
    for (const FileSink& other : out) {
      if (other.path == sink.path) problems.add("file_sink " + sink.path + " is listed twice");
    }
    out.push_back(std::move(sink));
  }
}

void parse_refresh(const toml::table* table, RefreshPolicy& out, Problems& problems) {
  if (table == nullptr) return;
  refuse_unknown(*table,
                 {"at_fraction", "check_interval_seconds", "retry_initial_seconds",
                  "retry_max_seconds", "supersede_backoff_initial_seconds",
                  "supersede_backoff_max_seconds", "supersede_window_seconds"},
                 "refresh.", problems);
  if (const toml::node* node = table->get("at_fraction")) {
    auto value = node->value<double>();  // 0.8, or an integer
    if (!value || !std::isfinite(*value) || *value < 0.1 || *value > 0.95) {
      problems.add("refresh.at_fraction must be a number from 0.1 to 0.95" + where(*node));
    } else {
      out.at_fraction = *value;
    }
  }
  constexpr std::int64_t kDay = 86400;
  integer_at(*table, "check_interval_seconds", 1, kDay, out.check_interval_seconds, problems);
  integer_at(*table, "retry_initial_seconds", 1, 3600, out.retry_initial_seconds, problems);
  integer_at(*table, "retry_max_seconds", 1, kDay, out.retry_max_seconds, problems);
  integer_at(*table, "supersede_backoff_initial_seconds", 1, kDay,
             out.supersede_backoff_initial_seconds, problems);
  integer_at(*table, "supersede_backoff_max_seconds", 1, kDay, out.supersede_backoff_max_seconds,
             problems);
  integer_at(*table, "supersede_window_seconds", 1, 30 * kDay, out.supersede_window_seconds,
             problems);
  if (out.retry_max_seconds < out.retry_initial_seconds) {
    problems.add("refresh.retry_max_seconds must not be below refresh.retry_initial_seconds");
  }
  if (out.supersede_backoff_max_seconds < out.supersede_backoff_initial_seconds) {
    problems.add(
        "refresh.supersede_backoff_max_seconds must not be below "
        "refresh.supersede_backoff_initial_seconds");
  }
  // Supersedes are seen at checks, so a shorter window would end every
  // streak before the next one is seen and the back-off would never grow:
  // two agents would take turns superseding each other at every check.
  if (out.supersede_window_seconds <=
      out.check_interval_seconds + out.supersede_backoff_max_seconds) {
    problems.add(
        "refresh.supersede_window_seconds must be greater than refresh.check_interval_seconds + "
        "refresh.supersede_backoff_max_seconds");
  }
}

}  // namespace

client::Result<std::string> SecretSource::read(const GetEnv& getenv) const {
  if (from == From::kEnv) {
    auto value = getenv(location);
    if (!value || trim_trailing_space(*value).empty()) {
      return std::unexpected(usage("environment variable " + location + " is not set or empty"));
    }
    return trim_trailing_space(*value);
  }
  const int fd = ::open(location.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return std::unexpected(
        usage("cannot open the secret file " + location + ": " + std::strerror(errno)));
  }
  struct stat st {};
  std::string text;
  std::optional<client::ClientError> problem;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = usage("the secret file " + location + " is not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    problem = usage("the secret file " + location + " has mode " + mode +
                    ": group and others must have no access; run chmod 600 " + location);
  } else if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes) {
    problem = usage("the secret file " + location + " is larger than 4 KiB");
  } else {
    char buffer[kMaxSecretBytes + 1];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problem = usage("cannot read the secret file " + location + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > kMaxSecretBytes) {
        problem = usage("the secret file " + location + " is larger than 4 KiB");
        break;
      }
    }
  }
  ::close(fd);
  if (problem) return std::unexpected(std::move(*problem));
  text = trim_trailing_space(std::move(text));
  if (text.empty()) return std::unexpected(usage("the secret file " + location + " is empty"));
  return text;
}

std::string SecretSource::describe() const {
  return from == From::kFile ? "file " + location : "environment variable " + location;
}

client::Result<std::string> expand_variables(std::string_view value, const GetEnv& getenv) {
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value.substr(i, 2) != "${") {
      out += value[i++];
      continue;
    }
    const std::size_t close = value.find('}', i + 2);
    if (close == std::string_view::npos) {
      return std::unexpected(usage("unterminated ${ in \"" + std::string(value) + "\""));
    }
    const std::string name(value.substr(i + 2, close - i - 2));
    auto variable = getenv(name);
    if (!variable || variable->empty()) {
      return std::unexpected(
          usage("\"" + std::string(value) + "\" uses ${" + name + "}, which is not set"));
    }
    std::string text = *variable;
    if (name.ends_with("_DIRECTORY")) text = text.substr(0, text.find(':'));
    out += text;
    i = close + 1;
  }
  return out;
}

client::Result<AgentConfig> parse_agent_config(std::string_view toml_text,
                                               const std::string& source, const GetEnv& getenv) {
  const auto fail = [&source](const std::string& message) {
    return std::unexpected(usage("agent config " + source + ": " + message));
  };
  toml::table table;
  try {
    table = toml::parse(toml_text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return fail(std::string(e.description()) + " (line " + std::to_string(begin.line) +
                ", column " + std::to_string(begin.column) + ")");
  }

  Problems problems;
  refuse_unknown(
      table,
      {"server_url", "ca_file", "credential", "client_id", "client_id_env", "client_secret_file",
       "client_secret_env", "api_key_file", "api_key_env", "file_sink", "socket", "refresh"},
      "", problems);
  // A secret is never written in the config file itself.
  for (const char* key : {"client_secret", "api_key", "token", "access_token"}) {
    if (table.contains(key)) {
      return fail(std::string(key) + " may not be written in the config: use " + key + "_file or " +
                  key + "_env");
    }
  }
  if (problems.any()) return fail(problems.first());

  AgentConfig config;
  config.source = source;
  auto url = string_at(table, "server_url", "", problems);
  if (!url) {
    problems.add("server_url is required (e.g. \"https://latchkey.example.com\")");
  } else {
    config.server_url = *url;
    while (config.server_url.ends_with('/')) config.server_url.pop_back();
    if (!config.server_url.starts_with("http://") && !config.server_url.starts_with("https://")) {
      problems.add("server_url must start with http:// or https://");
    }
  }
  if (auto ca = string_at(table, "ca_file", "", problems)) {
    if (auto expanded = expand_variables(*ca, getenv)) {
      config.ca_file = *expanded;
    } else {
      problems.add("ca_file: " + expanded.error().description);
    }
  }

  const std::string kind = string_at(table, "credential", "", problems).value_or("");
  if (kind == "client_secret") {
    config.credential = CredentialKind::kClientSecret;
    auto id = string_at(table, "client_id", "", problems);
    auto id_env = string_at(table, "client_id_env", "", problems);
    if (id && id_env) {
      problems.add("give either client_id or client_id_env, not both");
    } else if (id) {
      config.client_id = *id;
    } else if (id_env) {
      config.client_id = getenv(*id_env).value_or("");
      if (config.client_id.empty()) {
        problems.add("environment variable " + *id_env + " (client_id_env) is not set or empty");
      }
    } else {
      problems.add("credential = \"client_secret\" needs client_id (or client_id_env)");
    }
    if (table.contains("api_key_file") || table.contains("api_key_env")) {
      problems.add("api_key_file/api_key_env need credential = \"api_key\"");
    }
    if (!problems.any()) {
      if (auto secret = secret_source(table, "client_secret", getenv, problems)) {
        config.secret = *secret;
      }
    }
  } else if (kind == "api_key") {
    config.credential = CredentialKind::kApiKey;
    for (const char* key :
         {"client_id", "client_id_env", "client_secret_file", "client_secret_env"}) {
      if (table.contains(key)) {
        problems.add(std::string(key) + " needs credential = \"client_secret\"");
      }
    }
    if (!problems.any()) {
      if (auto secret = secret_source(table, "api_key", getenv, problems)) config.secret = *secret;
    }
  } else {
    problems.add(
        "credential must be \"client_secret\" (account token, seed 000) or \"api_key\" "
        "(JWT from /v2/auth/token/access)");
  }

  parse_sinks(table.get("file_sink"), getenv, config.file_sinks, problems);
  const toml::node* socket = table.get("socket");
  if (socket != nullptr && !socket->is_table()) problems.add("socket must be a table ([socket])");
  parse_socket(socket ? socket->as_table() : nullptr, getenv, config.socket, problems);
  const toml::node* refresh = table.get("refresh");
  if (refresh != nullptr && !refresh->is_table()) {
    problems.add("refresh must be a table ([refresh])");
  }
  parse_refresh(refresh ? refresh->as_table() : nullptr, config.refresh, problems);

  if (!problems.any() && config.file_sinks.empty() && config.socket.path.empty()) {
    problems.add(
        "the token goes nowhere: add a [[file_sink]], or a [socket] path (the default "
        "${RUNTIME_DIRECTORY}/agent.sock needs RUNTIME_DIRECTORY, which systemd sets)");
  }
  if (problems.any()) return fail(problems.first());
  return config;
}

client::Result<AgentConfig> load_agent_config(const std::string& path, const GetEnv& getenv) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(
        usage("cannot read the agent config " + path + ": " + std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxConfigBytes) {
    return std::unexpected(usage("the agent config " + path + " is larger than 1 MiB"));
  }
  return parse_agent_config(text.str(), path, getenv);
}

}  // namespace latchkey::agent
