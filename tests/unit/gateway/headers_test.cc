#include "gateway/headers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey::gateway {
namespace {

// All values of `name` (case-insensitive), in order.
std::vector<std::string> values(const std::vector<http::Header>& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : headers) {
    if (http::iequals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

Principal account_principal() {
  Principal p;
  p.user_id = "usr_1";
  p.name = "risk-sync";
  p.type = UserType::kService;
  p.client_id = "cli_abc";
  return p;
}

Principal key_principal() {
  Principal p = account_principal();
  p.key = KeyGrant{.key_id = "key_7", .masked_key = "••••a1B9", .read_only = true};
  return p;
}

// `without`: a header name to leave out.
http::Request client_request(std::string_view without = {}) {
  http::Request r;
  r.method = "GET";
  r.target = "/api/records?x=1";
  r.remote_ip = "10.0.0.9";
  r.request_id = "req-42";
  const std::vector<std::pair<std::string_view, std::string_view>> headers = {
      {"Host", "gw.example.com"},
      {"Authorization", "Bearer eyJsecret"},
      {"Connection", "keep-alive, X-Private-Hop"},
      {"Keep-Alive", "timeout=5"},
      {"X-Private-Hop", "drop me"},
      {"Proxy-Authorization", "Basic abc"},
      {"TE", "trailers"},
      {"Trailer", "Expires"},
      {"Transfer-Encoding", "chunked"},
      {"Upgrade", "websocket"},
      {"X-Latchkey-User-Id", "usr_admin"},
      {"x-latchkey-credential", "client forged"},
      {"X-Forwarded-For", "203.0.113.5"},
      {"X-Forwarded-Proto", "https"},
      {"X-Forwarded-Host", "forged.example"},
      {"X-Request-Id", "client-chosen"},
      {"Content-Length", "0"},
      {"Expect", "100-continue"},
      {"Accept", "application/json"},
      {"X-Integration", "risk"},
  };
  for (const auto& [name, value] : headers) {
    if (!http::iequals(name, without)) r.add_header(name, value);
  }
  return r;
}

// Test that hop-by-hop headers (the fixed ones and those named in
// Connection) never reach the upstream, and end-to-end headers do.
TEST(GatewayHeaders, HopByHopRemovedTowardsUpstream) {
  const auto out = upstream_request_headers(client_request(), account_principal(),
                                            {.upstream_host_header = "127.0.0.1:9000"});
  for (const char* name : {"Connection", "Keep-Alive", "X-Private-Hop", "Proxy-Authorization", "TE",
                           "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect"}) {
    EXPECT_TRUE(values(out, name).empty()) << name;
  }
  EXPECT_EQ(values(out, "Accept"), (std::vector<std::string>{"application/json"}));
  EXPECT_EQ(values(out, "X-Integration"), (std::vector<std::string>{"risk"}));
  EXPECT_EQ(values(out, "Host"), (std::vector<std::string>{"127.0.0.1:9000"}));
}

// Test X-Forwarded-For: a trusted proxy's chain is appended to with the
// proxy's address; X-Forwarded-Proto and -Host set (the client's own values
// replaced), and X-Request-Id set to the request's id.
TEST(GatewayHeaders, ForwardedHeaders) {
  http::Request via_proxy = client_request();
  via_proxy.remote_ip = "203.0.113.5";  // what http/client_address.h decided
  via_proxy.peer_ip = "10.0.0.9";
  via_proxy.peer_trusted = true;
  const auto out =
      upstream_request_headers(via_proxy, account_principal(), {.upstream_host_header = "up"});
  EXPECT_EQ(values(out, "X-Forwarded-For"), (std::vector<std::string>{"203.0.113.5, 10.0.0.9"}));
  EXPECT_EQ(values(out, "X-Forwarded-Proto"), (std::vector<std::string>{"http"}));
  EXPECT_EQ(values(out, "X-Forwarded-Host"), (std::vector<std::string>{"gw.example.com"}));
  EXPECT_EQ(values(out, "X-Request-Id"), (std::vector<std::string>{"req-42"}));

  const http::Request plain = client_request("X-Forwarded-For");
  const auto tls = upstream_request_headers(plain, account_principal(),
                                            {.upstream_host_header = "up", .client_tls = true});
  EXPECT_EQ(values(tls, "X-Forwarded-For"), (std::vector<std::string>{"10.0.0.9"}));
  EXPECT_EQ(values(tls, "X-Forwarded-Proto"), (std::vector<std::string>{"https"}));
}

// Test that an untrusted peer's X-Forwarded-For is not relayed: the upstream
// sees only the address latchkeyd saw.
TEST(GatewayHeaders, UntrustedForwardedForDropped) {
  const auto out = upstream_request_headers(client_request(), account_principal(),
                                            {.upstream_host_header = "up"});
  EXPECT_EQ(values(out, "X-Forwarded-For"), (std::vector<std::string>{"10.0.0.9"}));
}

// Test that client-sent X-Latchkey-* headers are stripped and replaced by
// latchkey's own identity headers (no spoofing), for account tokens.
TEST(GatewayHeaders, IdentityHeadersCannotBeSpoofed) {
  const auto out = upstream_request_headers(client_request(), account_principal(),
                                            {.upstream_host_header = "up"});
  EXPECT_EQ(values(out, "X-Latchkey-User-Id"), (std::vector<std::string>{"usr_1"}));
  EXPECT_EQ(values(out, "X-Latchkey-User-Name"), (std::vector<std::string>{"risk-sync"}));
  EXPECT_EQ(values(out, "X-Latchkey-User-Type"), (std::vector<std::string>{"service"}));
  EXPECT_EQ(values(out, "X-Latchkey-Credential"), (std::vector<std::string>{"client cli_abc"}));
  EXPECT_TRUE(values(out, "X-Latchkey-Key-Id").empty());
  for (const auto& h : out) EXPECT_NE(h.value, "usr_admin");
}

// Test the key id and scope headers of a key-derived token, with the
// masked key as the credential.
TEST(GatewayHeaders, KeyDerivedIdentity) {
  const auto out =
      upstream_request_headers(client_request(), key_principal(), {.upstream_host_header = "up"});
  EXPECT_EQ(values(out, "X-Latchkey-Credential"), (std::vector<std::string>{"key ••••a1B9"}));
  EXPECT_EQ(values(out, "X-Latchkey-Key-Id"), (std::vector<std::string>{"key_7"}));
  EXPECT_EQ(values(out, "X-Latchkey-Key-Scope"), (std::vector<std::string>{"read"}));
}

// Test that Authorization is forwarded only when the route says so.
TEST(GatewayHeaders, AuthorizationOnlyWhenConfigured) {
  const auto hidden = upstream_request_headers(client_request(), account_principal(),
                                               {.upstream_host_header = "up"});
  EXPECT_TRUE(values(hidden, "Authorization").empty());
  const auto forwarded =
      upstream_request_headers(client_request(), account_principal(),
                               {.upstream_host_header = "up", .forward_authorization = true});
  EXPECT_EQ(values(forwarded, "Authorization"), (std::vector<std::string>{"Bearer eyJsecret"}));
}

// Test that the upstream's hop-by-hop headers, Content-Length and
// X-Request-Id do not reach the caller, and its other headers do (repeated
// ones included).
TEST(GatewayHeaders, ResponseHeaders) {
  const std::vector<http::Header> upstream = {
      {"Content-Type", "application/json"},
      {"Content-Length", "12"},
      {"Connection", "close, X-Hop"},
      {"X-Hop", "1"},
      {"Keep-Alive", "timeout=5"},
      {"Transfer-Encoding", "chunked"},
      {"Set-Cookie", "a=1"},
      {"Set-Cookie", "b=2"},
      {"X-Request-Id", "upstream-id"},
      {"Proxy-Authenticate", "Basic"},
      {"Upgrade", "h2c"},
      {"Trailer", "X"},
      {"Server", "nginx"},
      {"RateLimit-Limit", "1000"},
      {"ratelimit-remaining", "999"},
      {"RateLimit-Reset", "3"},
      {"RateLimit-Policy", "1000;w=60"},
      {"RateLimit", "limit=1000, remaining=999"},
      {"Retry-After", "3"},
  };
  const auto out = downstream_response_headers(upstream);
  EXPECT_EQ(values(out, "Content-Type"), (std::vector<std::string>{"application/json"}));
  EXPECT_EQ(values(out, "Set-Cookie"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(values(out, "Retry-After"), (std::vector<std::string>{"3"}));
  EXPECT_EQ(out.size(), 4u);
}

// Test that a header spelt with '_' for '-' (one variable to a CGI-style
// upstream: HTTP_X_LATCHKEY_USER_ID) cannot spoof latchkey's identity
// headers, and that headers overriding the client address, scheme, path or
// method are dropped in every spelling; X-Forwarded-* are latchkey's own.
TEST(GatewayHeaders, OverridingHeadersDroppedInAnySpelling) {
  http::Request r = client_request();
  r.remote_ip = "203.0.113.5";
  r.peer_ip = "10.0.0.9";
  r.peer_trusted = true;  // even a trusted proxy's misspelt X_Forwarded_For is dropped
  const std::vector<std::string> dropped = {"X_Latchkey_User_Id",
                                            "x_latchkey-scope",
                                            "X-LATCHKEY_KEY_SCOPE",
                                            "Forwarded",
                                            "X-Real-IP",
                                            "x_real_ip",
                                            "X-Forwarded-Port",
                                            "X_Forwarded_Port",
                                            "X-Forwarded-Prefix",
                                            "X_Forwarded_Prefix",
                                            "X-HTTP-Method-Override",
                                            "X_HTTP_Method_Override",
                                            "X-HTTP-Method",
                                            "X_HTTP_METHOD",
                                            "X-Method-Override",
                                            "x_method_override",
                                            "X-Original-URL",
                                            "X_Original_URL",
                                            "X-Rewrite-URL",
                                            "X_Rewrite_Url",
                                            "X_Forwarded_For",
                                            "X_Forwarded_Proto",
                                            "X_Forwarded_Host",
                                            "X_Request_Id",
                                            "Content_Length",
                                            "Transfer_Encoding",
                                            "X_Private_Hop"};
  for (const std::string& name : dropped) r.add_header(name, "forged");
  r.add_header("X_Custom_Header", "kept");
  const auto out = upstream_request_headers(r, key_principal(), {.upstream_host_header = "up"});
  for (const auto& h : out) {
    EXPECT_NE(h.value, "forged") << h.name;
    EXPECT_EQ(std::find(dropped.begin(), dropped.end(), h.name), dropped.end()) << h.name;
  }
  EXPECT_EQ(values(out, "X-Latchkey-User-Id"), (std::vector<std::string>{"usr_1"}));
  EXPECT_EQ(values(out, "X-Forwarded-For"), (std::vector<std::string>{"203.0.113.5, 10.0.0.9"}));
  EXPECT_EQ(values(out, "X_Custom_Header"), (std::vector<std::string>{"kept"}));
}

// Test X-Latchkey-Scope for every principal: "read write" unless the key
// is read-only or the token has scope "read".
TEST(GatewayHeaders, ScopeHeaderForEveryPrincipal) {
  auto scope_of = [](const Principal& p) {
    return values(identity_headers(p), "X-Latchkey-Scope");
  };
  EXPECT_EQ(scope_of(account_principal()), (std::vector<std::string>{"read write"}));
  EXPECT_EQ(scope_of(key_principal()), (std::vector<std::string>{"read"}));
  Principal write_key = key_principal();
  write_key.key->read_only = false;
  EXPECT_EQ(scope_of(write_key), (std::vector<std::string>{"read write"}));
  Principal read_oauth = account_principal();
  read_oauth.read_only = true;
  EXPECT_EQ(scope_of(read_oauth), (std::vector<std::string>{"read"}));
  EXPECT_TRUE(values(identity_headers(read_oauth), "X-Latchkey-Key-Scope").empty());
}

// Test that the upstream gets latchkeyd's hop of the request's trace: the
// caller's traceparent and tracestate (in any spelling) are replaced.
TEST(GatewayHeaders, TraceContextIsLatchkeydsHop) {
  http::Request r = client_request();
  r.add_header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  r.add_header("Trace_Parent", "spoofed");
  r.add_header("tracestate", "caller=1");
  r.trace = TraceContext{"4bf92f3577b34da6a3ce929d0e0e4736", "b7ad6b7169203331", "00f067aa0ba902b7",
                         1, "rojo=1"};
  const auto out = upstream_request_headers(r, account_principal(), {.upstream_host_header = "u"});
  EXPECT_EQ(values(out, "traceparent"),
            std::vector<std::string>{"00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"});
  EXPECT_EQ(values(out, "tracestate"), std::vector<std::string>{"rojo=1"});

  r.trace.tracestate.clear();
  const auto without =
      upstream_request_headers(r, account_principal(), {.upstream_host_header = "u"});
  EXPECT_TRUE(values(without, "tracestate").empty());
  r.trace = {};  // a request built without the server (tools, tests): nothing added
  EXPECT_TRUE(
      values(upstream_request_headers(r, account_principal(), {.upstream_host_header = "u"}),
             "traceparent")
          .empty());
}

}  // namespace
}  // namespace latchkey::gateway
