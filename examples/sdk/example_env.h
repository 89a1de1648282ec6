// What the four SDK examples share: credentials come from the environment
// (never argv, where `ps` and shell history would show them), and a failure
// is printed as its ErrorKind and message (which never contain a secret).
#pragma once

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "latchkey/client/client.h"

namespace latchkey_example {

// The variable's value; prints what is missing and returns nullopt when it
// is unset or empty.
inline std::optional<std::string> require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::cerr << "set " << name << " in the environment\n";
    return std::nullopt;
  }
  return std::string(value);
}

inline std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// Calls GET /api/v1/account/me and prints the answer: the identity the
// token stands for. Returns the process exit code.
inline int print_me(latchkey::client::Client& client) {
  auto me = client.call("GET", "/api/v1/account/me");
  if (!me) {
    std::cerr << "error (" << latchkey::client::kind_name(me.error().kind)
              << "): " << me.error().message() << "\n";
    return 1;
  }
  std::cout << me->body << "\n";
  return 0;
}

}  // namespace latchkey_example
