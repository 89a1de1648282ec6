// Options every `latchkey` command accepts, each also settable from an
// environment variable (never from a file in the working tree, so secrets
// stay out of repositories): --url LATCHKEY_URL, --client-id
// LATCHKEY_CLIENT_ID, --client-secret LATCHKEY_CLIENT_SECRET, --token
// LATCHKEY_TOKEN, --token-cache LATCHKEY_TOKEN_CACHE, --cacert
// LATCHKEY_CACERT, --insecure LATCHKEY_INSECURE. Not thread-safe (filled
// once during parsing).
#pragma once

#include <string>

#include "cli/cli.h"
#include "latchkey/client/error.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace latchkey::cli {

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8080";

struct GlobalOptions {
  std::string url;
  std::string client_id;
  std::string client_secret;
  std::string token;
  std::string token_cache;  // empty: no file cache (memory only)
  std::string cacert;
  bool insecure = false;
};

// Registers the options on `app`; values land in `options` when parsed.
class GlobalOptionsBinding {
 public:
  GlobalOptionsBinding(CLI::App& app, GlobalOptions& options);
  // Fills every option not given on the command line from its environment
  // variable, then the defaults, and checks the combination. Writes
  // warnings (plain-text http to a remote host) to `err`.
  client::Status resolve(const CliEnvironment& env, std::ostream& err);

 private:
  GlobalOptions& options_;
  CLI::Option* url_;
  CLI::Option* client_id_;
  CLI::Option* client_secret_;
  CLI::Option* token_;
  CLI::Option* token_cache_;
  CLI::Option* cacert_;
  CLI::Option* insecure_;
};

// $XDG_CACHE_HOME/latchkey/token-<client_id>.json, else
// $HOME/.cache/latchkey/token-<client_id>.json; empty when neither is set.
// Characters of the client id outside [A-Za-z0-9_-] become '_'.
std::string default_token_cache_path(const std::string& client_id, const CliEnvironment& env);

// True for http(s) URLs whose host is localhost, 127.0.0.0/8 or [::1].
bool is_loopback_url(const std::string& url);

}  // namespace latchkey::cli
