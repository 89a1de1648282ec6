// The core area's schema (versions 1xx, pg_migrations.h): users and what
// hangs off them, signing keys, revoked JWTs. Layout mirrors SQLite's
// (sqlite/migrations.cc): times BIGINT unix milliseconds, digests BYTEA of
// 32 bytes, flags BOOLEAN. Every text column is COLLATE "C": ids, names and
// client ids compare and sort byte-wise, as on SQLite, whatever the
// database's locale.
//
// Two tables of other areas live here because core operations write them
// inside their own transactions, so they must exist whatever areas are
// built: event_outbox (Store::disable_expired_service_account enqueues its
// webhook events; EventOutboxStore, pg-keys' area, owns the rest of its
// use, through the shared writer pg_outbox_rows.h) and console_passwords
// (Store::bootstrap_first_user sets the first user's password; the console
// area reads and writes it through pg_console_password_rows.h).
#include <array>

#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {
namespace {

constexpr std::string_view kUsers = R"sql(
CREATE TABLE users (
  id           TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
  seq          BIGSERIAL,  -- insertion order (SQLite: rowid)
  name         TEXT COLLATE "C"    NOT NULL CONSTRAINT users_name_key UNIQUE,
  type         TEXT COLLATE "C"    NOT NULL CHECK (type IN ('human', 'service')),
  disabled     BOOLEAN NOT NULL DEFAULT FALSE,
  api_access   BOOLEAN NOT NULL,
  created_at   BIGINT  NOT NULL,
  updated_at   BIGINT  NOT NULL,
  owner        TEXT COLLATE "C"    NOT NULL DEFAULT '',
  contact      TEXT COLLATE "C"    NOT NULL DEFAULT '',
  description  TEXT COLLATE "C"    NOT NULL DEFAULT '',
  expires_at   BIGINT
);
CREATE INDEX users_by_created ON users (created_at, seq);
CREATE INDEX users_by_expiry ON users (expires_at) WHERE expires_at IS NOT NULL AND NOT disabled;

CREATE TABLE user_modules (
  user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  module   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (user_id, module)
);

-- seed 000: one Client ID + Secret per user; the secret only as its digest,
-- with the previous one during a rotation overlap (docs/rotation.md).
CREATE TABLE client_credentials (
  user_id                 TEXT COLLATE "C"   NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  client_id               TEXT COLLATE "C"   NOT NULL UNIQUE,
  secret_digest           BYTEA  NOT NULL CHECK (length(secret_digest) = 32),
  created_at              BIGINT NOT NULL,
  previous_secret_digest  BYTEA  CHECK (length(previous_secret_digest) = 32),
  previous_expires_at     BIGINT
);

-- DESIGN invariant 1: UNIQUE (user_id) makes a second live token of a user
-- impossible, whatever any node does above the schema.
CREATE TABLE account_tokens (
  digest             BYTEA  NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
  user_id            TEXT COLLATE "C"   NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  client_id          TEXT COLLATE "C"   NOT NULL,
  issued_at          BIGINT NOT NULL,
  expires_at         BIGINT NOT NULL,
  issuer_ip          TEXT COLLATE "C"   NOT NULL,
  issuer_user_agent  TEXT COLLATE "C"   NOT NULL
);

CREATE TABLE token_tombstones (
  digest         BYTEA  NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
  user_id        TEXT COLLATE "C"   NOT NULL,
  reason         TEXT COLLATE "C"   NOT NULL,
  ended_at       BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  by_client_id   TEXT COLLATE "C"   NOT NULL DEFAULT '',
  by_ip          TEXT COLLATE "C"   NOT NULL DEFAULT '',
  by_user_agent  TEXT COLLATE "C"   NOT NULL DEFAULT ''
);
CREATE INDEX token_tombstones_by_expiry ON token_tombstones (expires_at);

-- Origin restrictions and the interference alarm (docs/origin-restrictions.md).
CREATE TABLE user_allowed_origins (
  user_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  cidrs    TEXT COLLATE "C" NOT NULL
);
CREATE TABLE account_token_issuances (
  id         BIGSERIAL PRIMARY KEY,
  user_id    TEXT COLLATE "C"   NOT NULL,
  client_id  TEXT COLLATE "C"   NOT NULL,
  ip         TEXT COLLATE "C"   NOT NULL,
  issued_at  BIGINT NOT NULL
);
CREATE INDEX account_token_issuances_by_user ON account_token_issuances (user_id, issued_at);
CREATE INDEX account_token_issuances_by_time ON account_token_issuances (issued_at);
CREATE TABLE token_interference (
  user_id        TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
  client_id      TEXT COLLATE "C"    NOT NULL,
  first_seen     BIGINT  NOT NULL,
  last_seen      BIGINT  NOT NULL,
  regenerations  INTEGER NOT NULL,
  origins        TEXT COLLATE "C"    NOT NULL,
  alarmed_at     BIGINT  NOT NULL,
  alarms         INTEGER NOT NULL
);
)sql";

constexpr std::string_view kSigningAndRevocation = R"sql(
-- seeds 003/004: retired keys are kept until no token they signed is valid.
-- retired_at 0: the current key.
CREATE TABLE signing_keys (
  kid              TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
  private_key_pem  TEXT COLLATE "C"   NOT NULL,
  created_at       BIGINT NOT NULL,
  retired_at       BIGINT NOT NULL DEFAULT 0,
  verify_until     BIGINT NOT NULL DEFAULT 0
);

-- RFC 7009: JWTs revoked by jti, kept until the token would have expired.
CREATE TABLE revoked_jwts (
  jti         TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
  user_id     TEXT COLLATE "C"   NOT NULL,
  revoked_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX revoked_jwts_by_expiry ON revoked_jwts (expires_at);
)sql";

constexpr std::string_view kWrittenByCore = R"sql(
-- The webhook outbox (docs/webhooks.md), owned by EventOutboxStore. Times 0
-- = never; the partial unique index drops a second event with the same
-- non-empty dedup key.
CREATE TABLE event_outbox (
  seq              BIGSERIAL PRIMARY KEY,
  id               TEXT COLLATE "C"    NOT NULL UNIQUE,
  type             TEXT COLLATE "C"    NOT NULL,
  occurred_at      BIGINT  NOT NULL,
  data_json        TEXT COLLATE "C"    NOT NULL,
  dedup_key        TEXT COLLATE "C"    NOT NULL DEFAULT '',
  status           TEXT COLLATE "C"    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  enqueued_at      BIGINT  NOT NULL,
  next_attempt_at  BIGINT  NOT NULL,
  last_attempt_at  BIGINT  NOT NULL DEFAULT 0,
  delivered_at     BIGINT  NOT NULL DEFAULT 0,
  last_error       TEXT COLLATE "C"    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX event_outbox_by_dedup_key ON event_outbox (dedup_key) WHERE dedup_key <> '';
CREATE INDEX event_outbox_due ON event_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX event_outbox_by_status ON event_outbox (status, seq);

-- Console passwords (argon2id strings), owned by ConsoleStore.
CREATE TABLE console_passwords (
  user_id     TEXT COLLATE "C"   NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  hash        TEXT COLLATE "C"   NOT NULL,
  updated_at  BIGINT NOT NULL
);
)sql";

constexpr std::array kCore = {
    Migration{101, "users, modules, credentials, account tokens, tombstones, origins, interference",
              kUsers},
    Migration{102, "JWT signing keys, revoked JWTs", kSigningAndRevocation},
    Migration{103, "tables core writes for other areas: event outbox, console passwords",
              kWrittenByCore},
};

}  // namespace

std::span<const Migration> core_migrations() { return kCore; }

}  // namespace latchkey::pg
