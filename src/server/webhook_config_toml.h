// Reading the [webhooks] table (server/webhook_config.h) from TOML; only the
// configuration loader includes this (toml++ is a heavy header).
#pragma once

#include <toml++/toml.h>

#include <string>

#include "core/error.h"
#include "server/webhook_config.h"

namespace latchkey::server {

// Reads the [webhooks] table at `node` into `out`, checking every value
// where it is: kInvalidRequest "FILE:LINE:COLUMN: message" (`path` names
// the file) for an unknown key, a wrong type, an unknown event name, a value
// out of range, a missing url, a URL that is not https (or http to a
// loopback address).
Status parse_webhooks_table(const toml::node& node, const std::string& path, WebhookConfig& out);

}  // namespace latchkey::server
