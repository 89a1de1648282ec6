#include "cli/global_options.h"

#include <CLI/CLI.hpp>
#include <cctype>

namespace latchkey::cli {
namespace {

client::ClientError usage(std::string description) {
  return client::ClientError{.kind = client::ErrorKind::kUsage,
                             .description = std::move(description)};
}

// The value of `option` if it was given on the command line, else of the
// environment variable `name`, else `fallback`.
std::string pick(const CLI::Option* option, const std::string& given, const std::string& name,
                 const CliEnvironment& env, const std::string& fallback = {}) {
  if (option->count() > 0) return given;
  if (auto value = env.getenv(name); value && !value->empty()) return *value;
  return fallback;
}

bool truthy(const std::string& value) {
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "1" || lower == "true" || lower == "yes" || lower == "on";
}

// "host" of scheme://userinfo@host:port/path, lowercased, without brackets.
std::string host_of(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return {};
  const auto start = scheme_end + 3;
  const auto end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    authority = authority.substr(at + 1);
  }
  std::string host;
  if (authority.starts_with('[')) {
    host = authority.substr(1, authority.find(']') - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

}  // namespace

GlobalOptionsBinding::GlobalOptionsBinding(CLI::App& app, GlobalOptions& options)
    : options_(options) {
  url_ = app.add_option(
      "--url", options.url,
      "latchkeyd base URL [env LATCHKEY_URL, default " + std::string(kDefaultUrl) + "]");
  client_id_ = app.add_option("--client-id", options.client_id,
                              "Client ID (cli_...) [env LATCHKEY_CLIENT_ID]");
  client_secret_ =
      app.add_option("--client-secret", options.client_secret,
                     "Client Secret (lk_sec_...) [env LATCHKEY_CLIENT_SECRET; prefer the variable: "
                     "arguments are visible to other users in ps]");
  token_ = app.add_option("--token", options.token,
                          "use this bearer token directly, no exchange [env LATCHKEY_TOKEN]");
  token_cache_ =
      app.add_option("--token-cache", options.token_cache,
                     "token cache file [env LATCHKEY_TOKEN_CACHE, default "
                     "$XDG_CACHE_HOME/latchkey/token-<client_id>.json or ~/.cache/latchkey/...]");
  cacert_ = app.add_option("--cacert", options.cacert,
                           "PEM CA bundle to verify the server with [env LATCHKEY_CACERT]");
  insecure_ = app.add_flag("--insecure", options.insecure,
                           "skip TLS verification; loopback URLs only, for self-signed "
                           "development certificates [env LATCHKEY_INSECURE=1]");
}

client::Status GlobalOptionsBinding::resolve(const CliEnvironment& env, std::ostream& err) {
  options_.url = pick(url_, options_.url, "LATCHKEY_URL", env, kDefaultUrl);
  options_.client_id = pick(client_id_, options_.client_id, "LATCHKEY_CLIENT_ID", env);
  options_.client_secret =
      pick(client_secret_, options_.client_secret, "LATCHKEY_CLIENT_SECRET", env);
  options_.token = pick(token_, options_.token, "LATCHKEY_TOKEN", env);
  options_.cacert = pick(cacert_, options_.cacert, "LATCHKEY_CACERT", env);
  if (insecure_->count() == 0) {
    options_.insecure = truthy(env.getenv("LATCHKEY_INSECURE").value_or(""));
  }
  options_.token_cache = pick(token_cache_, options_.token_cache, "LATCHKEY_TOKEN_CACHE", env);
  if (options_.token_cache.empty() && !options_.client_id.empty()) {
    options_.token_cache = default_token_cache_path(options_.client_id, env);
  }

  while (options_.url.ends_with('/')) options_.url.pop_back();
  const bool https = options_.url.starts_with("https://");
  if (!https && !options_.url.starts_with("http://")) {
    return std::unexpected(usage("--url must start with http:// or https://"));
  }
  if (host_of(options_.url).empty()) return std::unexpected(usage("--url has no host"));
  const bool loopback = is_loopback_url(options_.url);
  if (options_.insecure && !loopback) {
    return std::unexpected(
        usage("--insecure is only allowed for a loopback URL (localhost, 127.0.0.1, [::1]); "
              "use --cacert to trust a private CA"));
  }
  if (!https && !loopback) {
    err << "latchkey: warning: " << options_.url
        << " is plain http: credentials and tokens cross the network unencrypted\n";
  }
  return {};
}

std::string default_token_cache_path(const std::string& client_id, const CliEnvironment& env) {
  std::string base;
  if (auto xdg = env.getenv("XDG_CACHE_HOME"); xdg && xdg->starts_with('/')) {
    base = *xdg;
  } else if (auto home = env.getenv("HOME"); home && home->starts_with('/')) {
    base = *home + "/.cache";
  } else {
    return {};
  }
  std::string safe_id;
  for (char c : client_id) {
    safe_id += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  }
  return base + "/latchkey/token-" + safe_id + ".json";
}

bool is_loopback_url(const std::string& url) {
  const std::string host = host_of(url);
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 as a dotted quad ("127.evil.example" is not loopback).
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3 && host.starts_with("127.");
}

}  // namespace latchkey::cli
