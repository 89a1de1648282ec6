#include "store/postgres/pg_console_password_rows.h"

#include "store/postgres/pg_values.h"

namespace latchkey::pg {

Status upsert_console_password(Connection& connection, std::string_view user_id,
                               std::string_view hash, Instant at) {
  auto stored = connection.exec(
      "INSERT INTO console_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3::bigint)"
      " ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
      {text(user_id), text(hash), instant(at)});
  if (!stored) return fail(stored.error());
  return {};
}

}  // namespace latchkey::pg
