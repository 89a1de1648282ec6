// First-start bootstrap: on an empty store, create the `admin` user (human,
// API access, ADMIN) and show its Client ID and Secret exactly once, on
// stdout and optionally in a JSON file readable only by its owner. Later
// starts find users and show nothing.
#pragma once

#include <string>

#include "accounts/user_service.h"
#include "core/error.h"

namespace latchkey::server {

// Writes {"url","user_id","client_id","client_secret"} to `path` with mode
// 0600 (created exclusively: an existing file is refused, not overwritten).
Status write_bootstrap_file(const std::string& path, const std::string& url,
                            const IssuedClientCredential& admin);

// The banner printed to stdout on first start.
std::string bootstrap_banner(const std::string& url, const IssuedClientCredential& admin);

}  // namespace latchkey::server
