// The [webhooks] table of latchkeyd's configuration (docs/webhooks.md):
//
//   [webhooks]
//   url = "https://hooks.example.com/latchkey"   # http only to loopback
//   secret_file = "/etc/latchkey/webhook-secret"   # mode 0600; or LATCHKEY_WEBHOOK_SECRET
//   events = ["key.created", "user.disabled"]     # optional; default every type
//   max_attempts = 20
//   timeout_seconds = 10
//   retention_days = 30
//
// Without the table no event is enqueued (NullEventSink). The secret is
// never a flag, never logged and never stored in Config. The TOML reader is
// server/webhook_config_toml.h.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace latchkey::server {

struct WebhookConfig {
  bool enabled = false;  // a [webhooks] table is present
  std::string url;
  std::string secret_file;          // empty: the environment's LATCHKEY_WEBHOOK_SECRET
  std::vector<std::string> events;  // type names; empty: every type
  std::int64_t max_attempts = 20;
  std::int64_t timeout_seconds = 10;
  std::int64_t retention_days = 30;
  bool operator==(const WebhookConfig&) const = default;
};

inline constexpr std::string_view kWebhookSecretEnv = "LATCHKEY_WEBHOOK_SECRET";
inline constexpr std::size_t kMinWebhookSecretBytes = 16;

// "" when `url` may receive webhooks, else why not: https, or http to
// 127.0.0.0/8, [::1] or localhost only (the signature authenticates the
// payload, it does not hide it); no user-info, query or fragment.
std::string webhook_url_problem(std::string_view url);

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// The HMAC secret: the secret_file's content (a regular file without any
// access for group and others, at most 4 KiB), else LATCHKEY_WEBHOOK_SECRET;
// from either, one trailing "\n" (or "\r\n") is removed and nothing else.
// kInvalidRequest when neither gives at least kMinWebhookSecretBytes. The
// message never holds the secret.
Result<std::string> read_webhook_secret(const WebhookConfig& config, const GetEnv& getenv);

// read_webhook_secret from the process environment, then removes
// LATCHKEY_WEBHOOK_SECRET from it (unsetenv), so that the secret is not
// left in /proc/<pid>/environ nor passed on to child processes. Call it
// at start-up, before other threads read the environment.
Result<std::string> take_webhook_secret(const WebhookConfig& config);

}  // namespace latchkey::server
