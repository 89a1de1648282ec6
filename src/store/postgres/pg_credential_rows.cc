#include "store/postgres/pg_credential_rows.h"

#include <string>

#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

#define LATCHKEY_CREDENTIAL_COLUMNS                                                \
  "SELECT user_id, client_id, secret_digest, created_at, previous_secret_digest, " \
  "previous_expires_at FROM client_credentials "

Result<std::optional<ClientCredential>> select_one(Connection& connection, std::string_view sql,
                                                   std::string_view key) {
  auto rows = connection.exec(sql, {text(key)});
  if (!rows && connection.refused_text()) return std::optional<ClientCredential>();  // no row
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<ClientCredential>();
  ClientCredential credential;
  credential.user_id = text_at(*rows, 0, 0);
  credential.client_id = text_at(*rows, 0, 1);
  credential.secret_digest = digest_at(*rows, 0, 2);
  credential.created_at = instant_at(*rows, 0, 3);
  // Both set or both unset (records.h).
  if (!rows->is_null(0, 4) && !rows->is_null(0, 5)) {
    credential.previous_secret_digest = digest_at(*rows, 0, 4);
    credential.previous_expires_at = instant_at(*rows, 0, 5);
  }
  return std::optional<ClientCredential>(std::move(credential));
}

}  // namespace

Status upsert_client_credential(Connection& connection, const ClientCredential& credential) {
  // Keyed by user; a client id held by another user violates UNIQUE
  // (client_id), which is not the conflict target: kConflict.
  const bool previous = credential.previous_secret_digest && credential.previous_expires_at;
  auto done = connection.exec(
      "INSERT INTO client_credentials (user_id, client_id, secret_digest, created_at,"
      " previous_secret_digest, previous_expires_at) VALUES ($1, $2, $3, $4::bigint, $5, "
      "$6::bigint)"
      " ON CONFLICT (user_id) DO UPDATE SET client_id = excluded.client_id,"
      " secret_digest = excluded.secret_digest, created_at = excluded.created_at,"
      " previous_secret_digest = excluded.previous_secret_digest,"
      " previous_expires_at = excluded.previous_expires_at",
      {text(credential.user_id), text(credential.client_id), digest(credential.secret_digest),
       instant(credential.created_at),
       previous ? digest(*credential.previous_secret_digest) : null(),
       previous ? instant(*credential.previous_expires_at) : null()});
  if (done) return {};
  Error error = std::move(done.error());
  if (error.code == ErrorCode::kNotFound) {
    error.description = "no user with id \"" + credential.user_id + "\"";
  } else if (error.code == ErrorCode::kConflict) {
    error.description = "the client id is already used by another user";
  }
  return fail(std::move(error));
}

Result<std::optional<ClientCredential>> select_credential_by_client_id(Connection& connection,
                                                                       std::string_view client_id) {
  return select_one(connection, LATCHKEY_CREDENTIAL_COLUMNS "WHERE client_id = $1", client_id);
}

Result<std::optional<ClientCredential>> select_credential_of_user(Connection& connection,
                                                                  std::string_view user_id,
                                                                  bool for_update) {
  return select_one(connection,
                    for_update ? LATCHKEY_CREDENTIAL_COLUMNS "WHERE user_id = $1 FOR UPDATE"
                               : LATCHKEY_CREDENTIAL_COLUMNS "WHERE user_id = $1",
                    user_id);
}

#undef LATCHKEY_CREDENTIAL_COLUMNS

Result<int> end_previous_secret(Connection& connection, std::string_view user_id, Instant at) {
  auto updated = connection.exec(
      "UPDATE client_credentials SET previous_expires_at = $1::bigint WHERE user_id = $2"
      " AND previous_secret_digest IS NOT NULL AND previous_expires_at > $1::bigint",
      {instant(at), text(user_id)});
  if (!updated && connection.refused_text()) return 0;  // names no user
  if (!updated) return fail(updated.error());
  return static_cast<int>(updated->affected());
}

}  // namespace latchkey::pg
