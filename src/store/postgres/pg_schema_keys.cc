// The keys area's schema (versions 2xx, pg_migrations.h): API keys and their
// allowed origins (key_allowed_origins), login sessions, usage per key.
// event_outbox is core's (pg_schema_core.cc). Layout mirrors SQLite's
// (sqlite/migrations.cc 4, 5, 6, 11, 13, 14): times BIGINT unix
// milliseconds, digests BYTEA of 32 bytes, flags BOOLEAN, "none" as NULL.
// Text columns are COLLATE "C" (byte-wise, locale-independent), as core's.
#include <array>

#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {
namespace {

// seeds 002-004: API keys, stored only as a digest and a masked form;
// deactivated_at NULL: active. seq orders keys created in the same
// millisecond by insertion (SQLite's rowid). Limit overrides NULL: none.
// Reroll links '' and lapses_at NULL: never rerolled (docs/rotation.md).
// Allowed origins: normalized CIDR blocks, comma-separated; no row =
// anywhere (docs/origin-restrictions.md).
constexpr std::string_view kApiKeys = R"sql(
CREATE TABLE api_keys (
  seq                    BIGINT  GENERATED ALWAYS AS IDENTITY,
  id                     TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
  user_id                TEXT COLLATE "C"    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name                   TEXT COLLATE "C"    NOT NULL,
  role_id                TEXT COLLATE "C"    NOT NULL DEFAULT '',
  read_only              BOOLEAN NOT NULL,
  digest                 BYTEA   NOT NULL CONSTRAINT api_keys_digest_key UNIQUE
                                 CHECK (length(digest) = 32),
  masked                 TEXT COLLATE "C"    NOT NULL,
  created_at             BIGINT  NOT NULL,
  expires_at             BIGINT  NOT NULL,
  deactivated_at         BIGINT,
  deactivated_by         TEXT COLLATE "C"    NOT NULL DEFAULT '',
  last_used_at           BIGINT,
  rate_limit_per_minute  INTEGER,
  concurrency_per_route  INTEGER,
  replaced_by            TEXT COLLATE "C"    NOT NULL DEFAULT '',
  rerolled_from          TEXT COLLATE "C"    NOT NULL DEFAULT '',
  lapses_at              BIGINT
);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at, seq);
CREATE INDEX api_keys_by_creation ON api_keys (created_at, seq);

CREATE TABLE key_allowed_origins (
  key_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  cidrs   TEXT COLLATE "C" NOT NULL
);
)sql";

// seed 003: one current token per (key, session), decided under the row's
// lock (pg_session_store.cc). revoked_at NULL: not revoked.
constexpr std::string_view kLoginSessions = R"sql(
CREATE TABLE login_sessions (
  key_id            TEXT COLLATE "C"   NOT NULL,
  session_id        TEXT COLLATE "C"   NOT NULL,
  user_id           TEXT COLLATE "C"   NOT NULL,
  created_at        BIGINT NOT NULL,
  token             TEXT COLLATE "C"   NOT NULL,
  token_issued_at   BIGINT NOT NULL,
  token_expires_at  BIGINT NOT NULL,
  revoked_at        BIGINT,
  PRIMARY KEY (key_id, session_id)
);
CREATE INDEX login_sessions_by_expiry ON login_sessions (token_expires_at);
)sql";

// Usage per API key (docs/key-usage.md): counts per hour and per day, by
// route and status class; flushes add to a row (INSERT ... ON CONFLICT DO
// UPDATE), retention deletes by (granularity, bucket_start). No foreign
// key, as in SQLite: a flush never fails on a key another node just made.
constexpr std::string_view kKeyUsage = R"sql(
CREATE TABLE key_usage (
  key_id        TEXT COLLATE "C"   NOT NULL,
  granularity   TEXT COLLATE "C"   NOT NULL CHECK (granularity IN ('hour', 'day')),
  bucket_start  BIGINT NOT NULL,
  route         TEXT COLLATE "C"   NOT NULL,
  status_class  TEXT COLLATE "C"   NOT NULL CHECK (status_class IN ('2xx', '3xx', '4xx', '5xx')),
  count         BIGINT NOT NULL CHECK (count >= 0),
  PRIMARY KEY (key_id, granularity, bucket_start, route, status_class)
);
CREATE INDEX key_usage_by_bucket ON key_usage (granularity, bucket_start);
)sql";

constexpr std::array kKeys = {
    Migration{201, "API keys with limit overrides, reroll links, allowed origins", kApiKeys},
    Migration{202, "seed-003 login sessions", kLoginSessions},
    Migration{203, "usage per API key, per hour and per day", kKeyUsage},
};

}  // namespace

std::span<const Migration> keys_migrations() { return kKeys; }

}  // namespace latchkey::pg
