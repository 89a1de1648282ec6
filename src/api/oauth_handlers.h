// The standard OAuth 2.0 surface (issue 6, docs/oauth.md), beside the
// seeds' own endpoints:
//
//   POST /oauth/token        RFC 6749 §4.4 client credentials; client_secret_basic
//                            or client_secret_post; errors exactly per §5.2.
//   POST /oauth/introspect   RFC 7662, for every latchkey token kind.
//   POST /oauth/revoke       RFC 7009; 200 for unknown tokens.
//   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata.
//
// The client is a latchkey user's Client ID + Client Secret (seed 000).
#pragma once

#include <string>

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

struct OAuthOptions {
  // Absolute base URL of this server as clients reach it (config
  // `public_url`), e.g. "https://auth.example.com". Empty: built from the
  // request's Host header and the scheme (https when TLS is configured).
  std::string public_url;
  bool tls = false;
};

// The server's base URL as clients reach it: public_url, else the scheme and
// the request's (sanitised) Host header.
std::string public_base_url(const ApiContext& ctx, const http::Request& request);

http::Response oauth_token(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response oauth_introspect(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response oauth_revoke(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response oauth_metadata(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
