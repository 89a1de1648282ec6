#include "store/sqlite/migrations.h"

#include <array>
#include <string>

namespace latchkey::sqlite {
namespace {

// Times are INTEGER unix milliseconds; digests are 32-byte SHA-256 BLOBs.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE users (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  type        TEXT    NOT NULL CHECK (type IN ('human', 'service')),
  disabled    INTEGER NOT NULL DEFAULT 0,
  api_access  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE user_modules (
  user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  module   TEXT NOT NULL,
  PRIMARY KEY (user_id, module)
);

-- seed 000: one Client ID + Secret per user; the secret only as its digest.
CREATE TABLE client_credentials (
  user_id        TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  client_id      TEXT    NOT NULL UNIQUE,
  secret_digest  BLOB    NOT NULL CHECK (length(secret_digest) = 32),
  created_at     INTEGER NOT NULL
);

-- seed 000 / DESIGN invariant 1: UNIQUE (user_id) makes a second live token
-- of a user impossible, whatever the code above the schema does.
CREATE TABLE account_tokens (
  digest             BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
  user_id            TEXT    NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  client_id          TEXT    NOT NULL,
  issued_at          INTEGER NOT NULL,
  expires_at         INTEGER NOT NULL,
  issuer_ip          TEXT    NOT NULL,
  issuer_user_agent  TEXT    NOT NULL
);

-- What remains of an ended token so that a later 401 can say why; kept until
-- the token would have expired anyway.
CREATE TABLE token_tombstones (
  digest         BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
  user_id        TEXT    NOT NULL,
  reason         TEXT    NOT NULL,
  ended_at       INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  by_client_id   TEXT    NOT NULL DEFAULT '',
  by_ip          TEXT    NOT NULL DEFAULT '',
  by_user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX token_tombstones_by_expiry ON token_tombstones (expires_at);
)sql";

// seed 001: the permission model (policy_store.h). Every link references its
// rows with ON DELETE CASCADE; one origin step per application is enforced by
// a partial unique index.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE applications (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);
CREATE TABLE steps (
  id              TEXT    NOT NULL PRIMARY KEY,
  application_id  TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name            TEXT    NOT NULL,
  origin          INTEGER NOT NULL CHECK (origin IN (0, 1)),
  created_at      INTEGER NOT NULL,
  UNIQUE (application_id, name)
);
CREATE UNIQUE INDEX steps_one_origin ON steps (application_id) WHERE origin = 1;
CREATE TABLE permission_sets (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);
CREATE TABLE permission_set_steps (
  set_id   TEXT NOT NULL REFERENCES permission_sets (id) ON DELETE CASCADE,
  step_id  TEXT NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
  access   TEXT NOT NULL CHECK (access IN ('read', 'edit')),
  PRIMARY KEY (set_id, step_id)
);
CREATE TABLE roles (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);
CREATE TABLE role_modules (
  role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  module   TEXT NOT NULL,
  PRIMARY KEY (role_id, module)
);
CREATE TABLE role_permission_sets (
  role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  set_id   TEXT NOT NULL REFERENCES permission_sets (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, set_id)
);
CREATE INDEX role_permission_sets_by_set ON role_permission_sets (set_id);
CREATE TABLE role_members (
  role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, user_id)
);
CREATE INDEX role_members_by_user ON role_members (user_id);
CREATE TABLE application_entitlements (
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  access          TEXT NOT NULL CHECK (access IN ('read', 'edit')),
  PRIMARY KEY (user_id, application_id)
);
CREATE TABLE build_access (
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, application_id)
);
)sql";

// The audit trail (audit_store.h): appended in batches, never updated. id is
// the rowid (insertion order); both indexes end in it implicitly, so the
// newest-first keyset (at DESC, id DESC) reads straight off an index. No
// foreign key: the trail outlives the users it names.
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE audit_events (
  id              INTEGER PRIMARY KEY,
  at              INTEGER NOT NULL,
  principal_id    TEXT    NOT NULL DEFAULT '',
  principal_name  TEXT    NOT NULL DEFAULT '',
  credential      TEXT    NOT NULL DEFAULT '',
  action          TEXT    NOT NULL,
  resource        TEXT    NOT NULL DEFAULT '',
  decision        TEXT    NOT NULL CHECK (decision IN ('allow', 'deny')),
  reason          TEXT    NOT NULL DEFAULT '',
  client_ip       TEXT    NOT NULL DEFAULT '',
  user_agent      TEXT    NOT NULL DEFAULT '',
  integration     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_principal_time ON audit_events (principal_id, at);
)sql";

// seeds 002-004: API keys, stored only as a digest and a masked form.
// deactivated_at NULL: active (expiry is computed from expires_at).
constexpr std::string_view kMigration4 = R"sql(
CREATE TABLE api_keys (
  id              TEXT    NOT NULL PRIMARY KEY,
  user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name            TEXT    NOT NULL,
  role_id         TEXT    NOT NULL DEFAULT '',
  read_only       INTEGER NOT NULL,
  digest          BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
  masked          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  deactivated_at  INTEGER,
  deactivated_by  TEXT    NOT NULL DEFAULT '',
  last_used_at    INTEGER
);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at);
)sql";

// seeds 003/004: JWT signing keys (rotation keeps retired keys until no
// token they signed can be valid) and seed-003 login sessions (one current
// token per (key, session); decided in one write).
constexpr std::string_view kMigration5 = R"sql(
CREATE TABLE signing_keys (
  kid              TEXT    NOT NULL PRIMARY KEY,
  private_key_pem  TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  retired_at       INTEGER NOT NULL DEFAULT 0,
  verify_until     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE login_sessions (
  key_id            TEXT    NOT NULL,
  session_id        TEXT    NOT NULL,
  user_id           TEXT    NOT NULL,
  created_at        INTEGER NOT NULL,
  token             TEXT    NOT NULL,
  token_issued_at   INTEGER NOT NULL,
  token_expires_at  INTEGER NOT NULL,
  revoked_at        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, session_id)
);
CREATE INDEX login_sessions_by_expiry ON login_sessions (token_expires_at);
)sql";

// Limits (docs/rate-limits.md): an admin's per-key override of the rate
// and concurrency limits; NULL = no override (role limits, then defaults).
constexpr std::string_view kMigration6 = R"sql(
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN concurrency_per_route INTEGER;
)sql";

// OAuth (RFC 7009): JWTs revoked by jti, kept until the token would have
// expired (then pruned).
constexpr std::string_view kMigration7 = R"sql(
CREATE TABLE revoked_jwts (
  jti         TEXT    NOT NULL PRIMARY KEY,
  user_id     TEXT    NOT NULL,
  revoked_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX revoked_jwts_by_expiry ON revoked_jwts (expires_at);
)sql";

// Audit coalescing (audit/buffered_audit_log.h): one row stands for `count`
// identical calls made within one flush interval, `at` being the first.
// Rows written before this migration stand for one call each.
constexpr std::string_view kMigration8 = R"sql(
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
)sql";

// The web console (docs/console.md): people's passwords (argon2id strings),
// console sessions and invitations; secrets only as SHA-256 digests.
constexpr std::string_view kMigration9 = R"sql(
CREATE TABLE console_passwords (
  user_id     TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  hash        TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE console_sessions (
  id             TEXT    NOT NULL PRIMARY KEY,
  secret_digest  BLOB    NOT NULL UNIQUE CHECK (length(secret_digest) = 32),
  csrf_digest    BLOB    NOT NULL CHECK (length(csrf_digest) = 32),
  user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  ip             TEXT    NOT NULL,
  user_agent     TEXT    NOT NULL,
  ended_at       INTEGER NOT NULL DEFAULT 0,
  end_reason     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id, created_at);

-- Tokens minted for a session (the API explorer's JWTs, by jti): revoked
-- when the session ends, also after a restart.
CREATE TABLE console_session_tokens (
  token_id    TEXT    NOT NULL PRIMARY KEY,
  session_id  TEXT    NOT NULL REFERENCES console_sessions (id) ON DELETE CASCADE,
  user_id     TEXT    NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX console_session_tokens_by_session ON console_session_tokens (session_id);

-- One invitation per user: a new one replaces the earlier.
CREATE TABLE console_invitations (
  token_digest  BLOB    NOT NULL PRIMARY KEY CHECK (length(token_digest) = 32),
  user_id       TEXT    NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER NOT NULL DEFAULT 0
);
)sql";

// Audit filters by action (GET /api/v1/audit?action=...): exact and
// prefix matches walk this index instead of the whole trail.
constexpr std::string_view kMigration10 = R"sql(
CREATE INDEX audit_events_by_action_time ON audit_events (action, at);
)sql";

// Rotation with overlap (docs/rotation.md): a client's previous secret and
// when it lapses, in the same row as the current one; an API key's reroll
// links (the key that replaced it, the key it replaced) and when a rerolled
// key lapses. NULL / '' = none.
constexpr std::string_view kMigration11 = R"sql(
ALTER TABLE client_credentials ADD COLUMN previous_secret_digest BLOB
  CHECK (previous_secret_digest IS NULL OR length(previous_secret_digest) = 32);
ALTER TABLE client_credentials ADD COLUMN previous_expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN rerolled_from TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN lapses_at INTEGER;
)sql";

// Issue 14 item 7: owners, contact, description and expiry of service
// accounts. expires_at is NULL when the account does not expire; the index
// serves the lifecycle scan (enabled service accounts past their expiry).
constexpr std::string_view kMigration12 = R"sql(
ALTER TABLE users ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN expires_at INTEGER;
CREATE INDEX users_by_expiry ON users (expires_at) WHERE expires_at IS NOT NULL AND disabled = 0;
)sql";

// Origin restrictions and the token-interference alarm
// (docs/origin-restrictions.md). Allowed origins: normalized CIDR blocks,
// comma-separated; no row = anywhere. Issuances of account tokens are kept
// for one window (an hour) only, to count regenerations per user; one
// interference row per user that ever met the rule.
constexpr std::string_view kMigration13 = R"sql(
CREATE TABLE user_allowed_origins (
  user_id  TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  cidrs    TEXT NOT NULL
);
CREATE TABLE key_allowed_origins (
  key_id  TEXT NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  cidrs   TEXT NOT NULL
);
CREATE TABLE account_token_issuances (
  id         INTEGER PRIMARY KEY,
  user_id    TEXT    NOT NULL,
  client_id  TEXT    NOT NULL,
  ip         TEXT    NOT NULL,
  issued_at  INTEGER NOT NULL
);
CREATE INDEX account_token_issuances_by_user ON account_token_issuances (user_id, issued_at);
CREATE INDEX account_token_issuances_by_time ON account_token_issuances (issued_at);
CREATE TABLE token_interference (
  user_id        TEXT    NOT NULL PRIMARY KEY,
  client_id      TEXT    NOT NULL,
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  regenerations  INTEGER NOT NULL,
  origins        TEXT    NOT NULL,
  alarmed_at     INTEGER NOT NULL,
  alarms         INTEGER NOT NULL
);
)sql";

// Usage per API key (docs/key-usage.md): counts aggregated per hour and per
// day, by route and status class; flushes add to a row (upsert), retention
// deletes by (granularity, bucket_start). No foreign key: a key's usage
// outlives nothing it could dangle from (keys are never deleted), and a
// flush never fails on a key another node just created.
constexpr std::string_view kMigration14 = R"sql(
CREATE TABLE key_usage (
  key_id        TEXT    NOT NULL,
  granularity   TEXT    NOT NULL CHECK (granularity IN ('hour', 'day')),
  bucket_start  INTEGER NOT NULL,
  route         TEXT    NOT NULL,
  status_class  TEXT    NOT NULL CHECK (status_class IN ('2xx', '3xx', '4xx', '5xx')),
  count         INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (key_id, granularity, bucket_start, route, status_class)
) WITHOUT ROWID;
CREATE INDEX key_usage_by_bucket ON key_usage (granularity, bucket_start);
)sql";

// The webhook outbox (docs/webhooks.md): events waiting for delivery, kept
// after it for redelivery until pruned. Times 0 = never. The partial unique
// index drops a second event with the same non-empty dedup key.
constexpr std::string_view kMigration15 = R"sql(
CREATE TABLE event_outbox (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT    NOT NULL UNIQUE,
  type             TEXT    NOT NULL,
  occurred_at      INTEGER NOT NULL,
  data_json        TEXT    NOT NULL,
  dedup_key        TEXT    NOT NULL DEFAULT '',
  status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  enqueued_at      INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER NOT NULL DEFAULT 0,
  delivered_at     INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX event_outbox_by_dedup_key ON event_outbox (dedup_key) WHERE dedup_key <> '';
CREATE INDEX event_outbox_due ON event_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX event_outbox_by_status ON event_outbox (status, seq);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "users, modules, client credentials, account tokens, tombstones", kMigration1},
    Migration{2, "permission model: applications, steps, permission sets, roles, grants",
              kMigration2},
    Migration{3, "audit trail", kMigration3},
    Migration{4, "API keys", kMigration4},
    Migration{5, "JWT signing keys, login sessions", kMigration5},
    Migration{6, "per-key limit overrides", kMigration6},
    Migration{7, "OAuth: revoked JWTs by jti", kMigration7},
    Migration{8, "audit: coalesced rows carry a count of calls", kMigration8},
    Migration{9, "web console: passwords, sessions, invitations", kMigration9},
    Migration{10, "audit: index by action", kMigration10},
    Migration{11, "rotation: previous client secrets, API key rerolls", kMigration11},
    Migration{12, "service accounts: owner, contact, description, expiry", kMigration12},
    Migration{13, "origin restrictions, token-interference alarm", kMigration13},
    Migration{14, "usage per API key, per hour and per day", kMigration14},
    Migration{15, "webhook event outbox", kMigration15},
};

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";

// applied_at is bookkeeping for humans, so it comes from SQLite's clock
// rather than an injected one (the store takes no Clock).
constexpr std::string_view kRecordMigration =
    "INSERT INTO schema_migrations (version, applied_at) "
    "VALUES (?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))";

Result<std::int64_t> newest_applied_version(Connection& connection) {
  auto statement = connection.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!statement) return fail(statement.error());
  auto row = statement->step();
  if (!row) return fail(row.error());
  return statement->int_at(0);
}

Result<bool> is_applied(Connection& connection, int version) {
  auto statement = connection.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
  if (!statement) return fail(statement.error());
  statement->bind_int(1, version);
  return statement->step();
}

// Applies one migration in its own transaction unless another process did it
// first. Returns whether it was applied here.
Result<bool> apply(Connection& connection, const Migration& migration) {
  if (auto s = connection.execute("BEGIN IMMEDIATE"); !s) return fail(s.error());
  auto applied = [&]() -> Result<bool> {
    auto done = is_applied(connection, migration.version);
    if (!done) return fail(done.error());
    if (*done) return false;
    if (auto s = connection.execute_script(migration.sql); !s) return fail(s.error());
    auto record = connection.prepare(kRecordMigration);
    if (!record) return fail(record.error());
    record->bind_int(1, migration.version);
    if (auto s = record->run(); !s) return fail(s.error());
    return true;
  }();
  if (applied) {
    if (auto s = connection.execute("COMMIT"); !s) applied = fail(s.error());
  }
  if (!applied) {
    if (connection.in_transaction()) (void)connection.execute("ROLLBACK");
    Error error = applied.error();
    error.description = "store: migration " + std::to_string(migration.version) + " (" +
                        std::string(migration.description) + ") failed: " + error.description;
    if (error.code != ErrorCode::kUnavailable) error.code = ErrorCode::kInternal;
    return fail(std::move(error));
  }
  return applied;
}

}  // namespace

std::span<const Migration> all_migrations() { return kMigrations; }

Result<int> migrate(Connection& connection, std::span<const Migration> migrations) {
  if (auto s = connection.execute(kCreateMigrationsTable); !s) return fail(s.error());
  auto newest = newest_applied_version(connection);
  if (!newest) return fail(newest.error());
  const int known = migrations.empty() ? 0 : migrations.back().version;
  if (*newest > known) {
    return fail(Error::unavailable(
        "store: the database has schema version " + std::to_string(*newest) +
        " but this latchkey knows only up to version " + std::to_string(known) +
        "; it was written by a newer latchkey, so run that version (or restore a backup)"));
  }
  int count = 0;
  for (const Migration& migration : migrations) {
    auto done = is_applied(connection, migration.version);
    if (!done) return fail(done.error());
    if (*done) continue;
    auto applied = apply(connection, migration);
    if (!applied) return fail(applied.error());
    if (*applied) ++count;
  }
  return count;
}

}  // namespace latchkey::sqlite
