// The web console's HTTP API (docs/console.md "HTTP API of the console"):
// sign-in, the session, sign-out, sessions, invitations and the tokens the
// console obtains for the signed-in person. The session cookie itself is
// verified by the authenticate stage (pipeline/authenticate_stage.cc)
// through ConsoleSessions below.
#pragma once

#include <memory>
#include <string>

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/exchange.h"
#include "pipeline/services.h"

namespace latchkey::api {

// The cookie -> the person, over ctx.console_auth (fail closed without it).
std::unique_ptr<pipeline::ConsoleSessionVerifier> make_console_session_verifier(
    const ApiContext& ctx);

http::Response console_sign_in(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_session(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_sign_out(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_list_sessions(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_revoke_session(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_create_invitation(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_inspect_invitation(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_accept_invitation(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_access_token(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response console_explorer_token(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
