// Versioned schema migrations of the SQLite store.
//
// The schema is an ordered list of migrations (version, SQL). The database
// records each applied version in schema_migrations(version, applied_at);
// migrate() applies the missing ones in order, each in its own transaction,
// so opening an existing database applies only what is new. A database that
// records a version this binary does not know (written by a newer latchkey)
// is refused with kUnavailable rather than used.
//
// Migrations are append-only: never edit a released one, add the next
// version instead.
//
// Thread-safety: migrate() runs on one connection before the store serves;
// concurrent processes migrating the same file serialize on BEGIN IMMEDIATE
// and re-check inside the transaction, so each version applies once.
#pragma once

#include <span>
#include <string_view>

#include "core/error.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements, no parameters
};

// Every migration this binary knows, ordered by version (1, 2, ...).
std::span<const Migration> all_migrations();

// Brings the database on `connection` up to the last of `migrations` (which
// must be ordered by version). Returns how many migrations were applied.
Result<int> migrate(Connection& connection,
                    std::span<const Migration> migrations = all_migrations());

}  // namespace latchkey::sqlite
