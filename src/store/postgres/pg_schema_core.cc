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

// Store::issue_watched_account_token in one round trip (pg_store.cc): the
// steps of the transaction it replaces, in the same order, run by the server
// as one statement. The user's row lock first (DESIGN invariant 1 across
// nodes; each statement after it sees what committed before the lock was
// granted), then end the user's tokens (tombstones keep their expiry;
// superseded by this issuance), forget a tombstone of the new digest, insert
// the token, record the issuance (forgetting every user's issuances older
// than the window, skipping rows another node is deleting), and count this
// user's issuances in the window when asked. Outcome 'no_user', 'disabled'
// or 'issued'. A token with this digest already live for this user means the
// same call already committed (a retry after the connection broke): nothing
// is done again, so a retry is exact.
constexpr std::string_view kIssueFunction = R"sql(
CREATE FUNCTION lk_issue_account_token(
  p_digest BYTEA, p_user_id TEXT, p_client_id TEXT, p_issued_at BIGINT, p_expires_at BIGINT,
  p_ip TEXT, p_user_agent TEXT, p_since BIGINT, p_count BOOLEAN)
RETURNS TABLE (outcome TEXT, window_issuances BIGINT, window_first BIGINT)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_disabled BOOLEAN;
BEGIN
  SELECT u.disabled INTO v_disabled FROM users u WHERE u.id = p_user_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_user'::text, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  IF v_disabled THEN
    RETURN QUERY SELECT 'disabled'::text, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM account_tokens t
                 WHERE t.digest = p_digest AND t.user_id = p_user_id) THEN
    WITH ended AS (DELETE FROM account_tokens t WHERE t.user_id = p_user_id
                   RETURNING t.digest, t.user_id, t.expires_at)
    INSERT INTO token_tombstones AS b
      (digest, user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent)
    SELECT e.digest, e.user_id,
           CASE WHEN e.expires_at <= p_issued_at THEN 'expired' ELSE 'superseded' END,
           p_issued_at, e.expires_at, p_client_id, p_ip, p_user_agent FROM ended e
    ON CONFLICT (digest) DO UPDATE SET user_id = excluded.user_id, reason = excluded.reason,
      ended_at = excluded.ended_at, expires_at = excluded.expires_at,
      by_client_id = excluded.by_client_id, by_ip = excluded.by_ip,
      by_user_agent = excluded.by_user_agent;
    DELETE FROM token_tombstones b WHERE b.digest = p_digest;
    INSERT INTO account_tokens
      (digest, user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent)
    VALUES (p_digest, p_user_id, p_client_id, p_issued_at, p_expires_at, p_ip, p_user_agent);
    DELETE FROM account_token_issuances i WHERE i.id IN
      (SELECT o.id FROM account_token_issuances o WHERE o.issued_at <= p_since
       FOR UPDATE SKIP LOCKED);
    INSERT INTO account_token_issuances (user_id, client_id, ip, issued_at)
    VALUES (p_user_id, p_client_id, p_ip, p_issued_at);
  END IF;
  IF p_count THEN
    RETURN QUERY SELECT 'issued'::text, COUNT(*), COALESCE(MIN(i.issued_at), 0)
      FROM account_token_issuances i WHERE i.user_id = p_user_id AND i.issued_at > p_since;
  ELSE
    RETURN QUERY SELECT 'issued'::text, 0::bigint, 0::bigint;
  END IF;
END
$fn$;
)sql";

// Migration 105: issuances in batches, and an interference check whose cost
// does not grow with the user's issuances.
//
// lk_issue_account_token is replaced: p_threshold (the alarm's threshold, 0:
// not watched) replaces p_count, and it answers `several_addresses` (an
// issuance of this user in the window came from another address than this
// one) and, only then, `window_issuances` capped at p_threshold + 1. Both
// read an index, never the user's whole window: the alarm needs two origins
// and more than p_threshold issuances, and the store applies the exact rule
// (counting everything, IPv6 by /64) only when both may hold (pg_store.cc).
// The old function counted every issuance in the window on every issuance.
//
// lk_issue_account_tokens: several issuances of one node in one statement
// (pg_issuance_batcher.h), a group commit: one transaction and one WAL
// flush for all of them. Each is exactly lk_issue_account_token, in array
// order; the caller orders them by user id so that two batches lock users
// in the same order (no deadlock). Two issuances of one user in a batch run
// one after the other: the second supersedes the first, as if they had come
// one after the other.
constexpr std::string_view kIssueInBatches = R"sql(
DROP FUNCTION lk_issue_account_token(BYTEA, TEXT, TEXT, BIGINT, BIGINT, TEXT, TEXT, BIGINT, BOOLEAN);
-- Replaces (user_id, issued_at): "another address" is two range reads of
-- it (one on either side of this address), and a user's window is still
-- one read. Two indexes with user_id first let plans pick the one that
-- reads the whole window to filter addresses.
DROP INDEX account_token_issuances_by_user;
CREATE INDEX account_token_issuances_by_user_address
  ON account_token_issuances (user_id, ip, issued_at);

CREATE FUNCTION lk_issue_account_token(
  p_digest BYTEA, p_user_id TEXT, p_client_id TEXT, p_issued_at BIGINT, p_expires_at BIGINT,
  p_ip TEXT, p_user_agent TEXT, p_since BIGINT, p_threshold INTEGER)
RETURNS TABLE (outcome TEXT, window_issuances BIGINT, several_addresses BOOLEAN)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_disabled BOOLEAN;
BEGIN
  SELECT u.disabled INTO v_disabled FROM users u WHERE u.id = p_user_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_user'::text, 0::bigint, FALSE;
    RETURN;
  END IF;
  IF v_disabled THEN
    RETURN QUERY SELECT 'disabled'::text, 0::bigint, FALSE;
    RETURN;
  END IF;
  -- Already issued to this user, live or ended since: this is the same
  -- call run again after a broken connection (digests are random and never
  -- reused). Nothing is done twice, and a retry never brings back a token
  -- a later issuance (on any node) superseded.
  IF NOT EXISTS (SELECT 1 FROM account_tokens t
                 WHERE t.digest = p_digest AND t.user_id = p_user_id)
     AND NOT EXISTS (SELECT 1 FROM token_tombstones b
                     WHERE b.digest = p_digest AND b.user_id = p_user_id) THEN
    WITH ended AS (DELETE FROM account_tokens t WHERE t.user_id = p_user_id
                   RETURNING t.digest, t.user_id, t.expires_at)
    INSERT INTO token_tombstones AS b
      (digest, user_id, reason, ended_at, expires_at, by_client_id, by_ip, by_user_agent)
    SELECT e.digest, e.user_id,
           CASE WHEN e.expires_at <= p_issued_at THEN 'expired' ELSE 'superseded' END,
           p_issued_at, e.expires_at, p_client_id, p_ip, p_user_agent FROM ended e
    ON CONFLICT (digest) DO UPDATE SET user_id = excluded.user_id, reason = excluded.reason,
      ended_at = excluded.ended_at, expires_at = excluded.expires_at,
      by_client_id = excluded.by_client_id, by_ip = excluded.by_ip,
      by_user_agent = excluded.by_user_agent;
    DELETE FROM token_tombstones b WHERE b.digest = p_digest;
    INSERT INTO account_tokens
      (digest, user_id, client_id, issued_at, expires_at, issuer_ip, issuer_user_agent)
    VALUES (p_digest, p_user_id, p_client_id, p_issued_at, p_expires_at, p_ip, p_user_agent);
    -- At most 64 at a time (each issuance adds one row, so pruning keeps
    -- up), by id from an array: as a semi-join, the plan PostgreSQL caches
    -- for this function after a few calls scanned the whole table on every
    -- issuance.
    DELETE FROM account_token_issuances i WHERE i.id = ANY (ARRAY(
      SELECT o.id FROM account_token_issuances o WHERE o.issued_at <= p_since
      ORDER BY o.issued_at LIMIT 64 FOR UPDATE SKIP LOCKED));
    INSERT INTO account_token_issuances (user_id, client_id, ip, issued_at)
    VALUES (p_user_id, p_client_id, p_ip, p_issued_at);
  END IF;
  IF p_threshold > 0 AND (
      EXISTS (SELECT 1 FROM account_token_issuances i
              WHERE i.user_id = p_user_id AND i.ip > p_ip AND i.issued_at > p_since)
      OR EXISTS (SELECT 1 FROM account_token_issuances i
                 WHERE i.user_id = p_user_id AND i.ip < p_ip AND i.ip > ''
                   AND i.issued_at > p_since)) THEN
    RETURN QUERY SELECT 'issued'::text, COUNT(*), TRUE FROM (
      SELECT 1 FROM account_token_issuances i
      WHERE i.user_id = p_user_id AND i.issued_at > p_since LIMIT p_threshold + 1) w;
  ELSE
    RETURN QUERY SELECT 'issued'::text, 0::bigint, FALSE;
  END IF;
END
$fn$;

CREATE FUNCTION lk_issue_account_tokens(
  p_digests BYTEA[], p_user_ids TEXT[], p_client_ids TEXT[], p_issued_at BIGINT[],
  p_expires_at BIGINT[], p_ips TEXT[], p_user_agents TEXT[], p_since BIGINT[],
  p_thresholds INTEGER[])
RETURNS TABLE (ord INTEGER, outcome TEXT, window_issuances BIGINT, several_addresses BOOLEAN)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  FOR i IN 1 .. COALESCE(array_length(p_user_ids, 1), 0) LOOP
    RETURN QUERY SELECT i, r.outcome, r.window_issuances, r.several_addresses
      FROM lk_issue_account_token(p_digests[i], p_user_ids[i], p_client_ids[i], p_issued_at[i],
                                  p_expires_at[i], p_ips[i], p_user_agents[i], p_since[i],
                                  p_thresholds[i]) r;
  END LOOP;
END
$fn$;
)sql";

constexpr std::array kCore = {
    Migration{101, "users, modules, credentials, account tokens, tombstones, origins, interference",
              kUsers},
    Migration{102, "JWT signing keys, revoked JWTs", kSigningAndRevocation},
    Migration{103, "tables core writes for other areas: event outbox, console passwords",
              kWrittenByCore},
    Migration{104, "lk_issue_account_token: an issuance in one round trip", kIssueFunction},
    Migration{105, "issuances in batches (lk_issue_account_tokens); their window's addresses",
              kIssueInBatches},
};

}  // namespace

std::span<const Migration> core_migrations() { return kCore; }

}  // namespace latchkey::pg
