// The policy area's schema (versions 3xx, pg_migrations.h): the permission
// model, the audit trail, the console's sessions and invitations.
// console_passwords is core's (pg_schema_core.cc).
//
// Layout mirrors SQLite's (sqlite/migrations.cc): times BIGINT unix
// milliseconds, digests BYTEA of 32 bytes, flags BOOLEAN; "not set" is NULL
// where SQLite stores 0. Every text column that is sorted, compared by
// range or searched ASCII-case-insensitively is COLLATE "C", so that the
// order and the matches are byte-wise as in SQLite whatever the database's
// locale. `seq` columns keep insertion order (SQLite: rowid).
#include <array>

#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {
namespace {

// seed 001: the permission model (policy_store.h). Every link references
// its rows with ON DELETE CASCADE; one origin step per application is
// enforced by a partial unique index, so two nodes adding an origin step at
// once cannot both succeed.
constexpr std::string_view kPermissionModel = R"sql(
CREATE TABLE applications (
  id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  seq         BIGSERIAL,
  name        TEXT COLLATE "C" NOT NULL CONSTRAINT applications_name_key UNIQUE,
  created_at  BIGINT NOT NULL
);
CREATE TABLE steps (
  id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  seq             BIGSERIAL,
  application_id  TEXT COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name            TEXT COLLATE "C" NOT NULL,
  origin          BOOLEAN NOT NULL,
  created_at      BIGINT NOT NULL,
  CONSTRAINT steps_name_key UNIQUE (application_id, name)
);
CREATE UNIQUE INDEX steps_one_origin ON steps (application_id) WHERE origin;
CREATE TABLE permission_sets (
  id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  seq         BIGSERIAL,
  name        TEXT COLLATE "C" NOT NULL CONSTRAINT permission_sets_name_key UNIQUE,
  created_at  BIGINT NOT NULL
);
CREATE TABLE permission_set_steps (
  set_id   TEXT COLLATE "C" NOT NULL REFERENCES permission_sets (id) ON DELETE CASCADE,
  step_id  TEXT COLLATE "C" NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
  access   TEXT COLLATE "C" NOT NULL CHECK (access IN ('read', 'edit')),
  PRIMARY KEY (set_id, step_id)
);
CREATE INDEX permission_set_steps_by_step ON permission_set_steps (step_id);
CREATE TABLE roles (
  id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  seq         BIGSERIAL,
  name        TEXT COLLATE "C" NOT NULL CONSTRAINT roles_name_key UNIQUE,
  created_at  BIGINT NOT NULL
);
CREATE TABLE role_modules (
  role_id  TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  module   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (role_id, module)
);
CREATE TABLE role_permission_sets (
  role_id  TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  set_id   TEXT COLLATE "C" NOT NULL REFERENCES permission_sets (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, set_id)
);
CREATE INDEX role_permission_sets_by_set ON role_permission_sets (set_id);
CREATE TABLE role_members (
  role_id  TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, user_id)
);
CREATE INDEX role_members_by_user ON role_members (user_id);
CREATE TABLE application_entitlements (
  user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id  TEXT COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  access          TEXT COLLATE "C" NOT NULL CHECK (access IN ('read', 'edit')),
  PRIMARY KEY (user_id, application_id)
);
CREATE INDEX application_entitlements_by_application ON application_entitlements (application_id);
CREATE TABLE build_access (
  user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id  TEXT COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, application_id)
);
CREATE INDEX build_access_by_application ON build_access (application_id);
)sql";

// The audit trail (audit_store.h): appended in batches, never updated. Ids
// come from one sequence shared by every node: unique, and increasing
// within a batch in the batch's order (pg_audit_store.cc reserves them);
// across nodes they follow reservation, not commit, order
// (docs/postgresql.md). Each index ends in id so that the newest-first
// keyset (at DESC, id DESC) reads straight off it. No foreign key: the
// trail outlives the users it names.
constexpr std::string_view kAuditTrail = R"sql(
CREATE SEQUENCE audit_event_ids AS BIGINT;
CREATE TABLE audit_events (
  id              BIGINT NOT NULL PRIMARY KEY,
  at              BIGINT NOT NULL,
  principal_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
  principal_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  credential      TEXT COLLATE "C" NOT NULL DEFAULT '',
  action          TEXT COLLATE "C" NOT NULL,
  resource        TEXT COLLATE "C" NOT NULL DEFAULT '',
  decision        TEXT COLLATE "C" NOT NULL CHECK (decision IN ('allow', 'deny')),
  reason          TEXT COLLATE "C" NOT NULL DEFAULT '',
  client_ip       TEXT COLLATE "C" NOT NULL DEFAULT '',
  user_agent      TEXT COLLATE "C" NOT NULL DEFAULT '',
  integration     TEXT COLLATE "C" NOT NULL DEFAULT '',
  count           BIGINT NOT NULL DEFAULT 1 CHECK (count >= 1)
);
CREATE INDEX audit_events_by_time ON audit_events (at, id);
CREATE INDEX audit_events_by_principal_time ON audit_events (principal_id, at, id);
CREATE INDEX audit_events_by_action_time ON audit_events (action, at, id);
)sql";

// The web console (docs/console.md): sessions and invitations; secrets only
// as SHA-256 digests. ended_at / used_at NULL: open / unused.
constexpr std::string_view kConsole = R"sql(
CREATE TABLE console_sessions (
  id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  secret_digest  BYTEA  NOT NULL CONSTRAINT console_sessions_secret_key UNIQUE
                        CHECK (length(secret_digest) = 32),
  csrf_digest    BYTEA  NOT NULL CHECK (length(csrf_digest) = 32),
  user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     BIGINT NOT NULL,
  last_seen_at   BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  ip             TEXT COLLATE "C" NOT NULL,
  user_agent     TEXT COLLATE "C" NOT NULL,
  ended_at       BIGINT,
  end_reason     TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id, created_at);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- Tokens minted for a session (the API explorer's JWTs, by jti): revoked
-- when the session ends, also after a restart.
CREATE TABLE console_session_tokens (
  token_id    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  session_id  TEXT COLLATE "C" NOT NULL REFERENCES console_sessions (id) ON DELETE CASCADE,
  user_id     TEXT COLLATE "C" NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX console_session_tokens_by_session ON console_session_tokens (session_id);
CREATE INDEX console_session_tokens_by_user ON console_session_tokens (user_id);
CREATE INDEX console_session_tokens_by_expiry ON console_session_tokens (expires_at);

-- One invitation per user: a new one replaces the earlier.
CREATE TABLE console_invitations (
  token_digest  BYTEA  NOT NULL PRIMARY KEY CHECK (length(token_digest) = 32),
  user_id       TEXT COLLATE "C" NOT NULL CONSTRAINT console_invitations_user_key UNIQUE
                REFERENCES users (id) ON DELETE CASCADE,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  used_at       BIGINT
);
)sql";

constexpr std::array kPolicy = {
    Migration{301, "permission model: applications, steps, permission sets, roles, grants",
              kPermissionModel},
    Migration{302, "audit trail", kAuditTrail},
    Migration{303, "web console: sessions, session tokens, invitations", kConsole},
};

}  // namespace

std::span<const Migration> policy_migrations() { return kPolicy; }

}  // namespace latchkey::pg
