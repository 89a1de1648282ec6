// The PostgreSQL backend's own machinery: URL handling, error mapping, the
// pool's bound, reconnecting after a server restart, unknown commit
// outcomes, migrations.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/open_store.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_values.h"
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
  EXPECT_EQ(pg::error_for("08006", "lost", "", false).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("", "lost", "", true).code, ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_for("42601", "syntax", "", false).code, ErrorCode::kInternal);
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
