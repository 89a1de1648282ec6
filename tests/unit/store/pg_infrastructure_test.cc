// The PostgreSQL backend's own machinery: URL handling, error mapping, the
// pool's bound, reconnecting after a server restart, unknown commit
// outcomes, migrations.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/open_store.h"
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_values.h"
#include "store/revoked_token_store.h"
#include "support/postgres_server.h"

namespace latchkey::testing {
namespace {

using namespace std::chrono_literals;

TEST(PgStoreUrl, RecognisesPostgresSettings) {
  EXPECT_TRUE(is_postgres_url("postgres://u@h:5432/db"));
  EXPECT_TRUE(is_postgres_url("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_url("host=h dbname=db"));
  EXPECT_FALSE(is_postgres_url(""));
  EXPECT_FALSE(is_postgres_url("/var/lib/latchkey"));
  EXPECT_FALSE(is_postgres_url("mysql://u@h/db"));
}

TEST(PgStoreUrl, RedactsEveryPasswordForm) {
  EXPECT_EQ(redact_store_url("postgres://alice:s3cr3t@db:5432/lk"),
            "postgres://alice:***@db:5432/lk");
  EXPECT_EQ(redact_store_url("postgres://alice@db/lk?password=s3cr3t&sslmode=require"),
            "postgres://alice@db/lk?password=***&sslmode=require");
  EXPECT_EQ(redact_store_url("host=db password=s3cr3t dbname=lk"),
            "host=db password=*** dbname=lk");
  EXPECT_EQ(redact_store_url("host=db password='s3 cr3t' dbname=lk"),
            "host=db password=*** dbname=lk");
  EXPECT_EQ(redact_store_url("postgres://alice@db/lk"), "postgres://alice@db/lk");
  EXPECT_EQ(redact_store_url("host=db PASSWORD = 'it\\'s' user=x"),
            "host=db PASSWORD = *** user=x");
  EXPECT_EQ(redact_store_url("postgres://a:p1@h/d and postgresql://b:p2@h2"),
            "postgres://a:***@h/d and postgresql://b:***@h2");
  EXPECT_EQ(redact_store_url("postgres://h:5432/db?user=x"), "postgres://h:5432/db?user=x");
  EXPECT_EQ(redact_store_url("password"), "password");
}

TEST(PgStoreUrl, UnknownSchemeIsRefusedWithoutThePassword) {
  auto store = open_store("mysql://alice:s3cr3t@db/lk", StoreOptions{});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(store.error().description.find("s3cr3t"), std::string::npos);
}

TEST(PgStoreUrl, UnreachableServerIsUnavailableWithoutThePassword) {
  // Port 1 on loopback: nothing listens there.
  auto store = open_store("postgres://alice:s3cr3t@127.0.0.1:1/lk?connect_timeout=2", {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().description.find("s3cr3t"), std::string::npos);
}

TEST(PgErrors, MapsSqlStates) {
  EXPECT_EQ(pg::error_for("23505", "dup", "users_name_key", false).code, ErrorCode::kConflict);
  EXPECT_NE(
      pg::error_for("23505", "dup", "users_name_key", false).description.find("users_name_key"),
      std::string::npos);
  EXPECT_EQ(pg::error_for("23503", "fk", "x", false).code, ErrorCode::kNotFound);
  EXPECT_EQ(pg::error_for("40001", "ser", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("57P01", "shutdown", "", false).code, ErrorCode::kUnavailable);
  // A lock_timeout is a 503 that names itself (the issuance batcher runs a
  // batch one at a time then); a lost connection never does.
  EXPECT_EQ(pg::error_for("55P03", "lock", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("55P03", "lock", "", false).reason, pg::kLockTimeoutReason);
  EXPECT_EQ(pg::error_for("57014", "cancel", "", false).reason, "");
  EXPECT_EQ(pg::error_for("", "gone", "", true).reason, "");
  EXPECT_EQ(pg::error_for("08006", "lost", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("", "lost", "", true).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("42601", "syntax", "", false).code, ErrorCode::kInternal);
  EXPECT_EQ(pg::error_for("57014", "statement timeout", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("55P03", "lock timeout", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("22021", "bad utf-8", "", false).code, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(pg::is_retryable("40001"));
  EXPECT_TRUE(pg::is_retryable("40P01"));
  EXPECT_FALSE(pg::is_retryable("23505"));
}

TEST(PgDatabase, ValuesRoundTrip) {
  const std::string url = fresh_schema_url("values");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 1});
  Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<std::uint8_t>(i * 7);
  auto rows = db.read([&](pg::Connection& c) {
    return c.exec("SELECT $1::bytea, $2::bigint, $3::boolean, $4::bigint, $5::text",
                  {pg::digest(digest), pg::instant(from_unix_millis(1700000000123)),
                   pg::boolean(true), pg::null(), pg::text("o'k \"quoted\"")});
  });
  ASSERT_TRUE(rows) << rows.error().description;
  EXPECT_EQ(pg::digest_at(*rows, 0, 0), digest);
  EXPECT_EQ(pg::instant_at(*rows, 0, 1), from_unix_millis(1700000000123));
  EXPECT_TRUE(pg::bool_at(*rows, 0, 2));
  EXPECT_EQ(pg::optional_instant_at(*rows, 0, 3), std::nullopt);
  EXPECT_EQ(pg::text_at(*rows, 0, 4), "o'k \"quoted\"");
}

TEST(PgDatabase, PoolTimeoutIsUnavailable) {
  const std::string url = fresh_schema_url("pool");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 1, 50ms});
  auto held = db.pool().acquire();
  ASSERT_TRUE(held) << held.error().description;
  auto ping = db.read([](pg::Connection& c) { return c.exec("SELECT 1"); });
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
}

// A dead client mid-transaction or a stuck statement must not hold a row
// lock (and a pooled connection) for hours: every session gets limits.
TEST(PgDatabase, SessionsHaveTimeoutsByDefault) {
  const std::string url = fresh_schema_url("timeouts");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 1});
  auto rows = db.read([](pg::Connection& c) {
    return c.exec(
        "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
        " current_setting('idle_in_transaction_session_timeout')");
  });
  ASSERT_TRUE(rows) << rows.error().description;
  EXPECT_EQ(pg::text_at(*rows, 0, 0), "5s");
  EXPECT_EQ(pg::text_at(*rows, 0, 1), "2s");
  EXPECT_EQ(pg::text_at(*rows, 0, 2), "10s");
}

TEST(PgDatabase, TimeoutGivenInTheSettingWins) {
  const std::string url = fresh_schema_url("timeout_setting");
  ASSERT_FALSE(url.empty());
  // fresh_schema_url's options=-csearch_path=...: one more -c after it.
  pg::Database db(pg::PoolOptions{url + "%20-cstatement_timeout%3D30s", 1});
  auto rows = db.read([](pg::Connection& c) {
    return c.exec("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')");
  });
  ASSERT_TRUE(rows) << rows.error().description;
  EXPECT_EQ(pg::text_at(*rows, 0, 0), "30s");
  EXPECT_EQ(pg::text_at(*rows, 0, 1), "2s");
}

TEST(PgDatabase, StatementTimeoutIsUnavailable) {
  const std::string url = fresh_schema_url("statement_timeout");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 1});
  auto slow = db.write([](pg::Connection& c) -> Status {
    if (auto s = c.execute_script("SET LOCAL statement_timeout = '20ms'"); !s) return s;
    if (auto r = c.exec("SELECT pg_sleep(5)"); !r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kUnavailable) << slow.error().description;
}

TEST(PgDatabase, LockTimeoutIsUnavailable) {
  const std::string url = fresh_schema_url("lock_timeout");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 2});
  ASSERT_TRUE(db.write([](pg::Connection& c) {
    return c.execute_script("CREATE TABLE t (v INT); INSERT INTO t VALUES (1)");
  }));
  auto holder = db.pool().acquire();
  ASSERT_TRUE(holder) << holder.error().description;
  ASSERT_TRUE((*holder)->execute_script("BEGIN; SELECT v FROM t FOR UPDATE"));
  auto waiting = db.write([](pg::Connection& c) -> Status {
    if (auto s = c.execute_script("SET LOCAL lock_timeout = '20ms'"); !s) return s;
    if (auto r = c.exec("SELECT v FROM t FOR UPDATE"); !r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(waiting);
  EXPECT_EQ(waiting.error().code, ErrorCode::kUnavailable) << waiting.error().description;
  ASSERT_TRUE((*holder)->execute_script("ROLLBACK"));
}

// A node in degraded mode asks about one jti per JWT: one indexed probe,
// never the whole table. Shown with a role that may read only the probe's
// columns: listing every revocation (the interface's default) is refused.
TEST(PgRevokedTokens, IsJwtRevokedReadsOneRowByKey) {
  if (std::getenv("LATCHKEY_TEST_POSTGRES_URL")) GTEST_SKIP() << "creates a role";
  const std::string url = fresh_schema_url("jti_probe");
  ASSERT_FALSE(url.empty());
  auto store = pg::PgStore::open(pg::PgStoreOptions{url, 1});
  ASSERT_TRUE(store) << store.error().description;
  const Instant now = Instant{} + std::chrono::hours(24 * 365 * 50);
  ASSERT_TRUE((*store)->revoked_tokens().revoke_jwt(
      RevokedJwt{"jti_a", "usr_a", now, now + std::chrono::hours(1)}));
  auto schema = (*store)->database().read(
      [](pg::Connection& c) { return c.exec("SELECT current_schema()"); });
  ASSERT_TRUE(schema);
  const std::string name = pg::text_at(*schema, 0, 0);
  const std::string role = name + "_probe";
  ASSERT_TRUE(shared_postgres_server().execute(
      "postgres", "CREATE ROLE " + role + " LOGIN; GRANT USAGE ON SCHEMA " + name + " TO " + role +
                      "; GRANT SELECT (jti, expires_at) ON " + name + ".revoked_jwts TO " + role));
  std::string probe_url = url;
  probe_url.replace(probe_url.find("latchkey@"), 8, role);
  pg::Database probe_db(pg::PoolOptions{probe_url, 1});
  auto probe = pg::make_pg_revoked_token_store(probe_db);
  auto revoked = probe->is_jwt_revoked("jti_a", now);
  ASSERT_TRUE(revoked) << revoked.error().description;
  EXPECT_TRUE(*revoked);
  auto other = probe->is_jwt_revoked("jti_b", now);
  ASSERT_TRUE(other) << other.error().description;
  EXPECT_FALSE(*other);
  EXPECT_FALSE(probe->revoked_jwts(now));  // the list is not readable by this role
}

TEST(PgDatabase, FailedTransactionRollsBack) {
  const std::string url = fresh_schema_url("rollback");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 2});
  ASSERT_TRUE(
      db.write([](pg::Connection& c) { return c.execute_script("CREATE TABLE t (v INT)"); }));
  auto failed = db.write([](pg::Connection& c) -> Status {
    if (auto r = c.exec("INSERT INTO t VALUES (1)"); !r) return fail(r.error());
    return fail(Error::conflict("changed my mind"));
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kConflict);
  auto rows = db.read([](pg::Connection& c) { return c.exec("SELECT COUNT(*) FROM t"); });
  ASSERT_TRUE(rows);
  EXPECT_EQ(pg::int_at(*rows, 0, 0), 0);
}

TEST(PgDatabase, SerializationFailuresAreRetried) {
  const std::string url = fresh_schema_url("retry");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 8});
  ASSERT_TRUE(db.write([](pg::Connection& c) {
    return c.execute_script(
        "CREATE TABLE counter (n INT NOT NULL); INSERT INTO counter VALUES (0)");
  }));
  // Read-modify-write under SERIALIZABLE: without retries most would fail.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto done = db.serializable([](pg::Connection& c) -> Status {
          auto n = c.exec("SELECT n FROM counter");
          if (!n) return fail(n.error());
          auto set =
              c.exec("UPDATE counter SET n = $1::integer", {pg::integer(pg::int_at(*n, 0, 0) + 1)});
          if (!set) return fail(set.error());
          return {};
        });
        if (!done) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto rows = db.read([](pg::Connection& c) { return c.exec("SELECT n FROM counter"); });
  ASSERT_TRUE(rows);
  // Every acknowledged increment is there, and none was lost to a race.
  EXPECT_EQ(pg::int_at(*rows, 0, 0), 80 - failures.load());
  EXPECT_LE(failures.load(), 4);
}

TEST(PgDatabase, ConnectionLostDuringCommitIsUnavailableAndNotRerun) {
  const std::string url = fresh_schema_url("commit_lost");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 2});
  // A deferred constraint trigger runs inside COMMIT: this one kills its
  // own backend there, so the client loses the connection mid-COMMIT.
  ASSERT_TRUE(db.write([](pg::Connection& c) {
    return c.execute_script(
        "CREATE TABLE t (v INT);"
        "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON t"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die()");
  }));
  int runs = 0;
  auto lost = db.write([&](pg::Connection& c) -> Status {
    ++runs;
    if (auto r = c.exec("INSERT INTO t VALUES (1)"); !r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(lost.error().description.find("unknown"), std::string::npos)
      << lost.error().description;
  EXPECT_EQ(runs, 1);  // never re-run: it may have committed
  // The pool replaces the dead connection.
  auto after = db.read([](pg::Connection& c) { return c.exec("SELECT COUNT(*) FROM t"); });
  ASSERT_TRUE(after) << after.error().description;
}

TEST(PgMigrations, VersionsAreUniqueAndInAreaRanges) {
  std::set<int> seen;
  for (const pg::Migration& m : pg::core_migrations()) {
    EXPECT_TRUE(m.version >= 100 && m.version < 200) << m.version;
    EXPECT_TRUE(seen.insert(m.version).second) << m.version;
  }
  for (const pg::Migration& m : pg::keys_migrations()) {
    EXPECT_TRUE(m.version >= 200 && m.version < 300) << m.version;
    EXPECT_TRUE(seen.insert(m.version).second) << m.version;
  }
  for (const pg::Migration& m : pg::policy_migrations()) {
    EXPECT_TRUE(m.version >= 300 && m.version < 400) << m.version;
    EXPECT_TRUE(seen.insert(m.version).second) << m.version;
  }
}

// Ordering and comparison of stored text must not depend on the database's
// locale: every text column of every area is COLLATE "C".
TEST(PgMigrations, EveryTextColumnIsByteWise) {
  const std::string url = fresh_schema_url("collation");
  ASSERT_FALSE(url.empty());
  auto store = pg::PgStore::open(pg::PgStoreOptions{url, 1});
  ASSERT_TRUE(store) << store.error().description;
  auto rows = (*store)->database().read([](pg::Connection& c) {
    return c.exec(
        "SELECT table_name || '.' || column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND data_type = 'text'"
        " AND table_name <> 'schema_migrations' AND collation_name IS DISTINCT FROM 'C'"
        " ORDER BY 1");
  });
  ASSERT_TRUE(rows) << rows.error().description;
  std::string locale_bound;
  for (int i = 0; i < rows->size(); ++i) locale_bound += pg::text_at(*rows, i, 0) + " ";
  EXPECT_EQ(locale_bound, "");
}

TEST(PgMigrations, AppliedOnceAndRefusedWhenNewer) {
  const std::string url = fresh_schema_url("migrate");
  ASSERT_FALSE(url.empty());
  pg::Database db(pg::PoolOptions{url, 2});
  auto first = pg::migrate(db);
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_EQ(*first, static_cast<int>(pg::all_migrations().size()));
  auto again = pg::migrate(db);
  ASSERT_TRUE(again) << again.error().description;
  EXPECT_EQ(*again, 0);
  ASSERT_TRUE(db.write([](pg::Connection& c) {
    return c.execute_script(
        "INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'x', 0)");
  }));
  auto newer = pg::migrate(db);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace latchkey::testing
