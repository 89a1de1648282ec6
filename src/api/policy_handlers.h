// The permission-model admin API (seed 001): applications and steps, step
// permission sets, roles, role membership, application entitlements, build
// access, and a user's grants and effective permissions. ADMIN only (a user
// may read their own grants and permissions). Paths and bodies are in
// docs/permissions.md.
#pragma once

#include <vector>

#include "api/api_context.h"
#include "pipeline/route_table.h"

namespace latchkey::api {

// The route-table entries of the permission model (api/routes.cc adds them
// to the one table); none when ctx.permissions is null.
std::vector<pipeline::RouteEntry> policy_routes(const ApiContext& ctx);

}  // namespace latchkey::api
