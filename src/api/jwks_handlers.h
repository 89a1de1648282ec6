// Handlers of the JWT signing keys (docs/jwt.md).
//
//   GET  /.well-known/jwks.json       public keys of every key that can still verify a live token
//   GET  /api/v1/signing-keys         the signing keys, public parts (ADMIN)
//   POST /api/v1/signing-keys/rotate  a new current key; the old one verifies until its tokens
//   expire (ADMIN)
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response jwks(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response list_signing_keys(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response rotate_signing_keys(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
