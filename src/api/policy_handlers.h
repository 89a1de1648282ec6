// The permission-model admin API (seed 001): applications and steps, step
// permission sets, roles, role membership, application entitlements, build
// access, and a user's grants and effective permissions. ADMIN only (a user
// may read their own grants and permissions). Paths and bodies are in
// docs/permissions.md.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace latchkey::api {

// Adds every /api/v1 route of the permission model to `r`. Requires
// ctx.permissions (no routes are added when it is null).
void add_policy_routes(http::Router& r, const ApiContext& ctx);

}  // namespace latchkey::api
