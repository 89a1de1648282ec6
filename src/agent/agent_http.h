// What the agent answers on its Unix socket (docs/agent.md):
//   GET /token    200 {"access_token", "expires_at"} (application/json), or
//                 the bare token (text/plain) when Accept asks for text/plain
//                 and not for application/json; 503 token_unavailable with
//                 Retry-After while the agent has no usable token.
//   GET /healthz  the keeper's state and counters as JSON; 200 while a token
//                 can be handed out, 503 otherwise.
// Anything else: 404 / 405 / 400 with the usual {"error", "error_description"}
// body. Every answer carries Cache-Control: no-store and Connection: close.
//
// Pure functions: no sockets, so they are tested directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/token_keeper.h"

namespace latchkey::agent {

inline constexpr std::size_t kMaxRequestHeadBytes = 8192;
// A supersede this recent makes /healthz say "degraded".
inline constexpr std::int64_t kRecentSupersedeSeconds = 3600;

struct AgentRequest {
  std::string method;
  std::string path;    // without the query string
  std::string accept;  // the Accept header, lower-cased; empty when absent
};

// Parses a request head ending with an empty line. nullopt when it is not
// HTTP/1.x.
std::optional<AgentRequest> parse_agent_request(std::string_view head);

// The whole HTTP/1.1 response to `received`: the bytes read from a
// connection, `complete` when they end with the empty line after the headers.
std::string answer_agent_request(std::string_view received, bool complete,
                                 const KeeperStatus& status, std::int64_t now);

// The /healthz body.
std::string health_json(const KeeperStatus& status, std::int64_t now);

}  // namespace latchkey::agent
