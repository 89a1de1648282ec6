// Header rewriting between the caller, latchkey and the upstream
// (docs/gateway.md "What is forwarded"):
//
//   to the upstream:  hop-by-hop headers removed (Connection, Keep-Alive,
//                     Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
//                     Transfer-Encoding, Upgrade and every header named in
//                     Connection); every X-Latchkey-* header the caller sent
//                     removed (no spoofing) and latchkey's identity headers
//                     added; Forwarded, X-Real-IP, X-Forwarded-Port,
//                     X-Forwarded-Prefix, X-HTTP-Method-Override,
//                     X-HTTP-Method, X-Method-Override, X-Original-URL and
//                     X-Rewrite-URL removed. Names are compared with '_'
//                     read as '-' (X_Latchkey_User_Id is X-Latchkey-User-Id
//                     to a CGI upstream); Authorization removed unless the route forwards
//                     it; Host set to the upstream; X-Forwarded-For appended,
//                     X-Forwarded-Proto and X-Forwarded-Host set; X-Request-Id
//                     set to the request's id; Expect removed (the body was
//                     already read whole); traceparent and tracestate
//                     replaced by latchkeyd's hop of the request's trace
//                     (http::Request::trace, docs/logging.md "Tracing").
//   to the caller:    hop-by-hop headers removed; Content-Length,
//                     X-Request-Id and Server removed (the server sets its
//                     own); RateLimit and RateLimit-* removed (latchkey's own
//                     limits apply and are added by the gateway).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "accounts/principal.h"
#include "http/message.h"

namespace latchkey::gateway {

struct ForwardOptions {
  std::string_view upstream_host_header;  // Host for the upstream
  bool forward_authorization = false;
  bool client_tls = false;  // latchkeyd serves HTTPS: X-Forwarded-Proto is https
};

// True for the fixed hop-by-hop header names (case-insensitive).
bool is_hop_by_hop(std::string_view name);

// The headers to send upstream for `request` by `principal`. The body's
// Content-Length is not among them (the client sets it for the body it sends).
std::vector<http::Header> upstream_request_headers(const http::Request& request,
                                                   const Principal& principal,
                                                   const ForwardOptions& options);

// The upstream response's headers as the caller gets them.
std::vector<http::Header> downstream_response_headers(const std::vector<http::Header>& upstream);

// The identity headers (X-Latchkey-User-Id, -User-Name, -User-Type,
// -Credential; -Key-Id and -Key-Scope for a key-derived token; -Scope,
// "read" or "read write" (Principal::may_write), for every principal).
std::vector<http::Header> identity_headers(const Principal& principal);

}  // namespace latchkey::gateway
