// The policy area's schema (versions 3xx, pg_migrations.h): the permission
// model, the audit trail, the console's sessions and invitations.
// console_passwords is core's (pg_schema_core.cc).
#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {

// Empty until the policy area lands (issue 12, branch pg-policy).
std::span<const Migration> policy_migrations() { return {}; }

}  // namespace latchkey::pg
