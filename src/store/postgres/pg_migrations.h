// Versioned schema migrations of the PostgreSQL store.
//
// The schema is split by area, each in its own file, so that areas evolve
// independently; versions are collision-free by range:
//   1xx  core    (pg_schema_core.cc):   users, credentials, account tokens,
//                                       origins, interference, signing keys,
//                                       revoked JWTs, and the tables other
//                                       areas own but core writes in its own
//                                       transactions (event_outbox,
//                                       console_passwords; see that file)
//   2xx  keys    (pg_schema_keys.cc):   API keys, sessions, usage
//   3xx  policy  (pg_schema_policy.cc): permission model, audit, console
// A migration may only reference tables of its own area or of core (core's
// are created first: every pending migration is applied in version order).
//
// migrate() applies every pending migration of every area in ONE
// transaction holding pg_advisory_xact_lock(kMigrationLock), and records
// each in schema_migrations (version, description, applied_at): several
// nodes starting at once migrate exactly once, and a failure leaves the
// schema as it was. A database holding a version this build does not know
// (written by a newer latchkey) is refused with kUnavailable.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace latchkey::pg {

class Database;

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// The lock id: "latchkey" in ASCII, a constant all nodes agree on.
inline constexpr std::int64_t kMigrationLock = 0x6c617463686b6579;

std::span<const Migration> core_migrations();
std::span<const Migration> keys_migrations();
std::span<const Migration> policy_migrations();

// Every area's migrations, in version order.
std::vector<Migration> all_migrations();

// Applies the pending ones; returns how many were applied here.
Result<int> migrate(Database& db);

}  // namespace latchkey::pg
