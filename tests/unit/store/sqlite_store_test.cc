// What only the SQLite backend has: the file layout, WAL and durability
// settings, versioned migrations, error mapping, the statement cache, and
// surviving kill -9. The Store behaviour itself is in the conformance suite.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "unit/store/temp_dir.h"

namespace latchkey::sqlite {
namespace {

using latchkey::testing::TempDir;

std::string db_path(const std::string& dir) { return dir + "/latchkey.db"; }

// A raw connection for looking at the file from outside the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }

  // The rows of a query as text, one string per row, columns joined by '|'.
  std::vector<std::string> rows(const char* sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c > 0) row += '|';
        const auto* text = sqlite3_column_text(stmt, c);
        row += text ? reinterpret_cast<const char*>(text) : "NULL";
      }
      out.push_back(row);
    }
    sqlite3_finalize(stmt);
    return out;
  }

  void exec(const char* sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<SqliteStore> open_store(const std::string& dir) {
  auto store = SqliteStore::open(StoreOptions{dir, 2, 64});
  EXPECT_TRUE(store) << store.error().description;
  return store ? std::move(*store) : nullptr;
}

// Test that opening creates a missing data directory with mode 0700 and the
// database in WAL mode.
TEST(SqliteStore, CreatesPrivateDataDirAndWalDatabase) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/var/latchkey";
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  struct stat info {};
  ASSERT_EQ(::stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  RawDb raw(db_path(dir));
  EXPECT_EQ(raw.rows("PRAGMA journal_mode"), std::vector<std::string>({"wal"}));
}

// Test that closing the store folds the WAL back into the database file.
TEST(SqliteStore, ClosingCheckpointsTheWal) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_NE(store, nullptr);
    NewUser user;
    user.id = "usr_a";
    user.name = "a";
    ASSERT_TRUE(store->create_user(user));
    EXPECT_TRUE(std::filesystem::exists(db_path(tmp.path()) + "-wal"));
  }
  EXPECT_FALSE(std::filesystem::exists(db_path(tmp.path()) + "-wal"));
  ASSERT_NE(open_store(tmp.path()), nullptr);
}

// Test that a fresh database records every migration once, and that
// reopening it applies none again.
TEST(SqliteStore, ReopeningDoesNotReapplyMigrations) {
  TempDir tmp;
  ASSERT_NE(open_store(tmp.path()), nullptr);
  std::vector<std::string> recorded;
  {
    RawDb raw(db_path(tmp.path()));
    recorded = raw.rows("SELECT version, applied_at FROM schema_migrations ORDER BY version");
    EXPECT_EQ(raw.rows("SELECT version FROM schema_migrations ORDER BY version").size(),
              all_migrations().size());
  }
  ASSERT_EQ(recorded.size(), all_migrations().size());

  ASSERT_NE(open_store(tmp.path()), nullptr);
  RawDb raw(db_path(tmp.path()));
  EXPECT_EQ(raw.rows("SELECT version, applied_at FROM schema_migrations ORDER BY version"),
            recorded);

  auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
  ASSERT_TRUE(connection);
  auto applied = migrate(**connection);
  ASSERT_TRUE(applied) << applied.error().description;
  EXPECT_EQ(*applied, 0);
}

// Test that the known migrations are numbered 1, 2, 3, ... with no gap.
TEST(Migrations, AreNumberedInOrder) {
  int expected = 1;
  for (const Migration& migration : all_migrations()) {
    EXPECT_EQ(migration.version, expected);
    ++expected;
  }
  EXPECT_GT(expected, 1);
}

// Test that migrating a database at an older version applies only the
// missing migrations, each once.
TEST(Migrations, AppliesOnlyMissingOnes) {
  TempDir tmp;
  auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
  ASSERT_TRUE(connection);
  const std::array<Migration, 3> migrations = {
      Migration{1, "a", "CREATE TABLE a (x INTEGER)"},
      Migration{2, "b", "CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (2)"},
      Migration{3, "a row", "INSERT INTO a VALUES (3)"},
  };
  auto first = migrate(**connection, std::span(migrations).first(1));
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_EQ(*first, 1);
  auto rest = migrate(**connection, migrations);
  ASSERT_TRUE(rest) << rest.error().description;
  EXPECT_EQ(*rest, 2);
  auto none = migrate(**connection, migrations);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);

  RawDb raw(db_path(tmp.path()));
  EXPECT_EQ(raw.rows("SELECT version FROM schema_migrations ORDER BY version"),
            std::vector<std::string>({"1", "2", "3"}));
  EXPECT_EQ(raw.rows("SELECT x FROM a"), std::vector<std::string>({"3"}));
  EXPECT_EQ(raw.rows("SELECT x FROM b"), std::vector<std::string>({"2"}));
}

// Test that migration 8 gives the audit rows written before it a count of
// one call each, and that the store reads them so.
TEST(Migrations, AuditRowsFromBeforeCountsCountOneCall) {
  TempDir tmp;
  {
    auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
    ASSERT_TRUE(connection);
    auto applied = migrate(**connection, all_migrations().first(7));
    ASSERT_TRUE(applied) << applied.error().description;
    ASSERT_TRUE((*connection)
                    ->execute("INSERT INTO audit_events (at, principal_id, action, decision) "
                              "VALUES (1795000000000, 'usr_old', 'account.me', 'allow')")
                    .has_value());
  }
  auto store = open_store(tmp.path());
  ASSERT_NE(store, nullptr);
  auto page = store->audit().query({});
  ASSERT_TRUE(page.has_value()) << page.error().description;
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].principal_id, "usr_old");
  EXPECT_EQ(page->events[0].count, 1u);
  auto clients =
      store->audit().clients_of("usr_old", from_unix_millis(0), from_unix_millis(1795000000001));
  ASSERT_TRUE(clients.has_value());
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].calls, 1);
}

// Test that a failing migration is rolled back whole and not recorded.
TEST(Migrations, FailingMigrationLeavesNoTrace) {
  TempDir tmp;
  auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
  ASSERT_TRUE(connection);
  const std::array<Migration, 2> migrations = {
      Migration{1, "a", "CREATE TABLE a (x INTEGER)"},
      Migration{2, "broken", "CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1)"},
  };
  auto applied = migrate(**connection, migrations);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kInternal);
  EXPECT_NE(applied.error().description.find("migration 2"), std::string::npos);

  RawDb raw(db_path(tmp.path()));
  EXPECT_EQ(raw.rows("SELECT version FROM schema_migrations"), std::vector<std::string>({"1"}));
  EXPECT_TRUE(raw.rows("SELECT name FROM sqlite_master WHERE name = 'c'").empty());
}

// Test that a database written by a newer latchkey is refused, kUnavailable.
TEST(SqliteStore, RefusesNewerSchema) {
  TempDir tmp;
  ASSERT_NE(open_store(tmp.path()), nullptr);
  {
    RawDb raw(db_path(tmp.path()));
    raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
  }
  auto store = SqliteStore::open(StoreOptions{tmp.path(), 1, 8});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().description.find("999"), std::string::npos);
}

// Test that options that cannot work are refused.
TEST(SqliteStore, RefusesBadOptions) {
  TempDir tmp;
  EXPECT_EQ(SqliteStore::open(StoreOptions{"", 1, 1}).error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(SqliteStore::open(StoreOptions{tmp.path(), 0, 1}).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(SqliteStore::open(StoreOptions{tmp.path(), 1, 0}).error().code,
            ErrorCode::kInvalidRequest);
}

// Test that a data directory that cannot be created is kUnavailable.
TEST(SqliteStore, UnusableDataDirIsUnavailable) {
  TempDir tmp;
  const std::string file = tmp.path() + "/not-a-dir";
  std::ofstream(file) << "a file where a directory should be";
  auto store = SqliteStore::open(StoreOptions{file + "/data", 1, 1});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

// Test that SQLite result codes map to the store's error codes.
TEST(SqliteError, MapsResultCodes) {
  const std::vector<std::pair<int, ErrorCode>> cases = {
      {SQLITE_CONSTRAINT_UNIQUE, ErrorCode::kConflict},
      {SQLITE_CONSTRAINT_PRIMARYKEY, ErrorCode::kConflict},
      {SQLITE_CONSTRAINT_FOREIGNKEY, ErrorCode::kNotFound},
      {SQLITE_CONSTRAINT_CHECK, ErrorCode::kInternal},
      {SQLITE_CONSTRAINT_NOTNULL, ErrorCode::kInternal},
      {SQLITE_BUSY, ErrorCode::kUnavailable},
      {SQLITE_BUSY_SNAPSHOT, ErrorCode::kUnavailable},
      {SQLITE_LOCKED, ErrorCode::kUnavailable},
      {SQLITE_FULL, ErrorCode::kUnavailable},
      {SQLITE_IOERR_FSYNC, ErrorCode::kUnavailable},
      {SQLITE_IOERR_WRITE, ErrorCode::kUnavailable},
      {SQLITE_CORRUPT, ErrorCode::kUnavailable},
      {SQLITE_MISUSE, ErrorCode::kInternal},
      {SQLITE_ERROR, ErrorCode::kInternal},
  };
  for (const auto& [rc, code] : cases) {
    const Error error = sqlite_error(rc, "testing", sqlite3_errstr(rc));
    EXPECT_EQ(error.code, code) << "rc " << rc;
    EXPECT_NE(error.description.find("testing"), std::string::npos);
  }
}

// Test that a statement already in use can be prepared again (nested use)
// and that both uses see their own bindings.
TEST(Connection, NestedUseOfOneStatement) {
  TempDir tmp;
  auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
  ASSERT_TRUE(connection);
  Connection& c = **connection;
  ASSERT_TRUE(c.execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);"));
  constexpr std::string_view kSql = "SELECT x FROM t WHERE x = ?";
  auto outer = c.prepare(kSql);
  ASSERT_TRUE(outer);
  outer->bind_int(1, 1);
  ASSERT_TRUE(outer->step().value_or(false));
  {
    auto inner = c.prepare(kSql);
    ASSERT_TRUE(inner);
    inner->bind_int(1, 2);
    ASSERT_TRUE(inner->step().value_or(false));
    EXPECT_EQ(inner->int_at(0), 2);
  }
  EXPECT_EQ(outer->int_at(0), 1);
}

// Test that a syntax error is reported, not thrown or crashed on.
TEST(Connection, BadSqlIsAnError) {
  TempDir tmp;
  auto connection = Connection::open(db_path(tmp.path()), Connection::Access::kReadWrite, 5000);
  ASSERT_TRUE(connection);
  auto statement = (*connection)->prepare("SELEC nothing");
  ASSERT_FALSE(statement);
  EXPECT_EQ(statement.error().code, ErrorCode::kInternal);
}

// --- invariant 5: an acknowledged write survives kill -9 -------------------

constexpr int kKillThreads = 8;
constexpr int kKillAcks = 200;  // acknowledgements read before the kill

struct Ack {
  std::int32_t thread;
  std::int32_t sequence;
};

AccountToken kill_test_token(int thread, int sequence) {
  AccountToken token;
  token.digest.fill(0);
  std::memcpy(token.digest.data(), &thread, sizeof thread);
  std::memcpy(token.digest.data() + 8, &sequence, sizeof sequence);
  token.digest[31] = 0x5a;
  token.user_id = "usr_" + std::to_string(thread);
  token.client_id = "cli_" + std::to_string(thread);
  token.issued_at = from_unix_millis(1'795'000'000'000 + sequence);
  token.expires_at = token.issued_at + std::chrono::days(365);
  return token;
}

// The child: issues tokens from several threads forever, writing each
// acknowledgement to `ack_fd` only after issue_account_token returned.
[[noreturn]] void issue_until_killed(const std::string& dir, int ack_fd) {
  auto store = SqliteStore::open(StoreOptions{dir, 1, 256});
  if (!store) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kKillThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int sequence = 0;; ++sequence) {
        if (!(*store)->issue_account_token(kill_test_token(t, sequence))) _exit(4);
        const Ack ack{t, sequence};
        if (::write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  _exit(6);
}

// Test that every token whose issuance was acknowledged before the process
// was killed with SIGKILL is in the database afterwards (invariant 5).
TEST(SqliteStore, AcknowledgedWritesSurviveKill9) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_NE(store, nullptr);
    for (int t = 0; t < kKillThreads; ++t) {
      NewUser user;
      user.id = "usr_" + std::to_string(t);
      user.name = "user" + std::to_string(t);
      user.api_access = true;
      ASSERT_TRUE(store->create_user(user));
    }
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    issue_until_killed(tmp.path(), fds[1]);
  }
  ::close(fds[1]);
  std::vector<Ack> acks;
  while (acks.size() < static_cast<std::size_t>(kKillAcks)) {
    Ack ack{};
    const ssize_t n = ::read(fds[0], &ack, sizeof ack);
    if (n != sizeof ack) break;  // the child died early
    acks.push_back(ack);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kKillAcks)) << "child status " << status;
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_store(tmp.path());
  ASSERT_NE(store, nullptr);
  for (const Ack& ack : acks) {
    auto lookup = store->find_account_token(kill_test_token(ack.thread, ack.sequence).digest);
    ASSERT_TRUE(lookup) << lookup.error().description;
    EXPECT_TRUE(lookup->live || lookup->ended)
        << "acknowledged token " << ack.thread << "/" << ack.sequence << " lost";
  }
  // And invariant 1 held through the crash.
  RawDb raw(db_path(tmp.path()));
  EXPECT_TRUE(
      raw.rows("SELECT user_id FROM account_tokens GROUP BY user_id HAVING COUNT(*) > 1").empty());
}

}  // namespace
}  // namespace latchkey::sqlite

namespace latchkey {
namespace {

using latchkey::testing::TempDir;

// Test that a second store on the same data directory is refused while the
// first is open (two processes would each cache stale tokens), and allowed after.
TEST(SqliteStore, DataDirectoryIsLockedWhileOpen) {
  TempDir tmp;
  auto first = open_sqlite_store({.data_dir = tmp.path()});
  ASSERT_TRUE(first);
  auto second = open_sqlite_store({.data_dir = tmp.path()});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().description.find("in use"), std::string::npos);
  first->reset();
  EXPECT_TRUE(open_sqlite_store({.data_dir = tmp.path()}));
}

}  // namespace
}  // namespace latchkey
