#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/cidr.h"
#include "events/event.h"
#include "server/webhook_config_toml.h"

namespace latchkey::server {
namespace {

constexpr std::size_t kMaxSecretBytes = 4096;

Error at(const std::string& path, const toml::source_region& where, const std::string& message) {
  if (where.begin.line == 0) return Error::invalid_request(path + ": " + message);
  return Error::invalid_request(path + ":" + std::to_string(where.begin.line) + ":" +
                                std::to_string(where.begin.column) + ": " + message);
}

std::string known_event_names() {
  std::string names;
  for (events::EventType type : events::all_event_types()) {
    names += (names.empty() ? "" : ", ") + std::string(events::to_string(type));
  }
  return names;
}

// What `echo` or `openssl rand -hex 32 >` leave after the secret; any other
// byte belongs to it.
std::string without_trailing_newline(std::string text) {
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::string webhook_url_problem(std::string_view url) {
  const bool https = url.starts_with("https://");
  const bool http = url.starts_with("http://");
  if (!https && !http) return "webhooks.url must be an absolute https:// URL";
  const std::string_view rest = url.substr(https ? 8 : 7);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (url.find_first_of("?# \t") != std::string_view::npos) {
    return "webhooks.url must not have a query, a fragment or spaces";
  }
  if (authority.find('@') != std::string_view::npos) {
    return "webhooks.url must not carry user-info (the signature authenticates deliveries)";
  }
  std::string_view host = authority;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return "webhooks.url has a malformed host";
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return "webhooks.url has no host";
  if (https) return {};
  static const CidrSet loopback = CidrSet::parse({"127.0.0.0/8", "::1/128"}).value();
  const auto address = IpAddress::parse(host);
  if (host == "localhost" || (address && loopback.contains(*address))) return {};
  return "webhooks.url: plain http is allowed only to a loopback address (127.0.0.1, [::1], "
         "localhost); use https:// for \"" +
         std::string(host) + "\": the signature proves who sent an event, it does not hide it";
}

Status parse_webhooks_table(const toml::node& node, const std::string& path, WebhookConfig& out) {
  const toml::table* table = node.as_table();
  if (table == nullptr)
    return fail(at(path, node.source(), "webhooks must be a table ([webhooks])"));
  out = WebhookConfig{};
  out.enabled = true;
  for (const auto& [key, value] : *table) {
    const std::string_view k = key.str();
    const std::string name = "webhooks." + std::string(k);
    if (k == "url" || k == "secret_file") {
      const auto text = value.value_exact<std::string>();
      if (!text) return fail(at(path, value.source(), name + " must be a string"));
      (k == "url" ? out.url : out.secret_file) = *text;
      if (k == "url") {
        if (std::string problem = webhook_url_problem(*text); !problem.empty()) {
          return fail(at(path, value.source(), problem));
        }
      }
    } else if (k == "max_attempts" || k == "timeout_seconds" || k == "retention_days") {
      const auto number = value.value_exact<std::int64_t>();
      if (!number) return fail(at(path, value.source(), name + " must be an integer"));
      struct Range {
        std::int64_t low, high;
      };
      const Range range = k == "max_attempts"      ? Range{1, 100}
                          : k == "timeout_seconds" ? Range{1, 60}
                                                   : Range{1, 3650};
      if (*number < range.low || *number > range.high) {
        return fail(at(path, value.source(),
                       name + " must be between " + std::to_string(range.low) + " and " +
                           std::to_string(range.high)));
      }
      (k == "max_attempts"      ? out.max_attempts
       : k == "timeout_seconds" ? out.timeout_seconds
                                : out.retention_days) = *number;
    } else if (k == "events") {
      const toml::array* list = value.as_array();
      if (list == nullptr)
        return fail(at(path, value.source(), name + " must be an array of strings"));
      std::set<std::string> seen;
      for (const toml::node& entry : *list) {
        const auto text = entry.value_exact<std::string>();
        if (!text) return fail(at(path, entry.source(), name + " must be an array of strings"));
        if (!events::parse_event_type(*text)) {
          return fail(at(path, entry.source(),
                         "webhooks.events: unknown event type \"" + *text +
                             "\" (known: " + known_event_names() + ")"));
        }
        if (seen.insert(*text).second) out.events.push_back(*text);
      }
    } else {
      return fail(at(path, key.source(),
                     "unknown key \"" + name +
                         "\" (known: url, secret_file, events, max_attempts, timeout_seconds, "
                         "retention_days)"));
    }
  }
  if (out.url.empty()) {
    return fail(at(path, table->source(), "webhooks.url is required in [webhooks]"));
  }
  return {};
}

Result<std::string> read_webhook_secret(const WebhookConfig& config, const GetEnv& getenv) {
  std::string secret;
  if (!config.secret_file.empty()) {
    const std::string& location = config.secret_file;
    const int fd = ::open(location.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      return fail(Error::invalid_request("webhooks: cannot open the secret file " + location +
                                         ": " + std::strerror(errno)));
    }
    struct stat st {};
    std::string problem;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      problem = "webhooks: the secret file " + location + " is not a regular file";
    } else if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      problem = "webhooks: the secret file " + location + " has mode " + mode +
                ": group and others must have no access; run chmod 600 " + location;
    } else if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes) {
      problem = "webhooks: the secret file " + location + " is larger than 4 KiB";
    } else {
      char buffer[kMaxSecretBytes + 1];
      for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          problem =
              "webhooks: cannot read the secret file " + location + ": " + std::strerror(errno);
          break;
        }
        if (n == 0) break;
        secret.append(buffer, static_cast<std::size_t>(n));
        if (secret.size() > kMaxSecretBytes) {
          problem = "webhooks: the secret file " + location + " is larger than 4 KiB";
          break;
        }
      }
    }
    ::close(fd);
    if (!problem.empty()) return fail(Error::invalid_request(problem));
  } else if (auto value = getenv(std::string(kWebhookSecretEnv))) {
    secret = *value;
  } else {
    return fail(Error::invalid_request(
        "webhooks: no secret: set webhooks.secret_file (a file of mode 0600) or the environment "
        "variable LATCHKEY_WEBHOOK_SECRET"));
  }
  secret = without_trailing_newline(std::move(secret));
  if (secret.size() < kMinWebhookSecretBytes) {
    return fail(Error::invalid_request(
        "webhooks: the secret (" +
        (config.secret_file.empty() ? std::string(kWebhookSecretEnv) : config.secret_file) +
        ") must be at least " + std::to_string(kMinWebhookSecretBytes) + " bytes long"));
  }
  return secret;
}

Result<std::string> take_webhook_secret(const WebhookConfig& config) {
  const std::string name(kWebhookSecretEnv);
  auto secret = read_webhook_secret(config, [](const std::string& n) -> std::optional<std::string> {
    const char* value = std::getenv(n.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
  ::unsetenv(name.c_str());  // also when unused (a secret_file was given) or refused
  return secret;
}

}  // namespace latchkey::server
