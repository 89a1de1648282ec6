#include "store/sqlite/credential_rows.h"

#include <utility>

namespace latchkey::sqlite {
namespace {

#define LATCHKEY_CREDENTIAL_COLUMNS                                                   \
  "SELECT user_id, client_id, secret_digest, created_at, "                            \
  "previous_secret_digest IS NOT NULL AND previous_expires_at IS NOT NULL, "          \
  "COALESCE(previous_secret_digest, zeroblob(32)), COALESCE(previous_expires_at, 0) " \
  "FROM client_credentials "

Result<std::optional<ClientCredential>> select_one(Connection& connection, std::string_view sql,
                                                   std::string_view key) {
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  statement->bind_text(1, key);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<ClientCredential>();
  ClientCredential credential;
  credential.user_id = statement->text_at(0);
  credential.client_id = statement->text_at(1);
  auto digest = statement->digest_at(2);
  if (!digest) return fail(digest.error());
  credential.secret_digest = *digest;
  credential.created_at = statement->instant_at(3);
  if (statement->bool_at(4)) {
    auto previous = statement->digest_at(5);
    if (!previous) return fail(previous.error());
    credential.previous_secret_digest = *previous;
    credential.previous_expires_at = statement->instant_at(6);
  }
  return std::optional<ClientCredential>(std::move(credential));
}

}  // namespace

Status upsert_client_credential(Connection& connection, const ClientCredential& credential) {
  // Keyed by user: the user's earlier row (old secret, old client id) is
  // replaced in place. A client id held by another user violates UNIQUE
  // (client_id), which is not the conflict target, so it fails: kConflict.
  // The previous secret (migration 11) is written with the current one, so
  // that "at most two live secrets" is one row's state.
  auto statement = connection.prepare(
      "INSERT INTO client_credentials (user_id, client_id, secret_digest, created_at, "
      "previous_secret_digest, previous_expires_at) VALUES (?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id) DO UPDATE SET client_id = excluded.client_id, "
      "secret_digest = excluded.secret_digest, created_at = excluded.created_at, "
      "previous_secret_digest = excluded.previous_secret_digest, "
      "previous_expires_at = excluded.previous_expires_at");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, credential.user_id)
      .bind_text(2, credential.client_id)
      .bind_digest(3, credential.secret_digest)
      .bind_instant(4, credential.created_at);
  if (credential.previous_secret_digest && credential.previous_expires_at) {
    statement->bind_digest(5, *credential.previous_secret_digest)
        .bind_instant(6, *credential.previous_expires_at);
  } else {
    statement->bind_null(5).bind_null(6);
  }
  auto done = statement->run();
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
  return select_one(connection, LATCHKEY_CREDENTIAL_COLUMNS "WHERE client_id = ?", client_id);
}

Result<std::optional<ClientCredential>> select_credential_of_user(Connection& connection,
                                                                  std::string_view user_id) {
  return select_one(connection, LATCHKEY_CREDENTIAL_COLUMNS "WHERE user_id = ?", user_id);
}

Result<int> end_previous_secret(Connection& connection, std::string_view user_id, Instant at) {
  auto statement = connection.prepare(
      "UPDATE client_credentials SET previous_expires_at = ? WHERE user_id = ? "
      "AND previous_secret_digest IS NOT NULL AND previous_expires_at > ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, user_id).bind_instant(3, at);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

#undef LATCHKEY_CREDENTIAL_COLUMNS

}  // namespace latchkey::sqlite
