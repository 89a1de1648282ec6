// Connection: a thin RAII owner of one sqlite3 handle and a cache of its
// prepared statements. Statement: one prepared statement borrowed from that
// cache; it binds values (never string-built SQL), steps, reads columns, and
// resets itself when it goes out of scope.
//
// Thread-safety: a Connection and its Statements are used by one thread at a
// time; the owner provides the exclusion (WriteBatcher owns the write
// connection, ReadPool lends read connections). Connections are opened with
// SQLITE_OPEN_NOMUTEX accordingly. A Statement must not outlive its
// Connection.
//
// Errors: sqlite_error() maps SQLite result codes once for the whole store:
// UNIQUE / PRIMARY KEY violations -> kConflict, FOREIGN KEY violations ->
// kNotFound (every foreign key references a user), busy, locked, full disk,
// I/O and corruption -> kUnavailable, anything else -> kInternal.
// Descriptions name the operation and SQLite's message, which never contains
// a bound value (so never a digest).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "core/secret.h"
#include "core/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace latchkey::sqlite {

Error sqlite_error(int rc, std::string_view what, std::string_view message);

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. A failed bind is reported by the
  // next step() or run().
  Statement& bind_text(int index, std::string_view text);
  Statement& bind_int(int index, std::int64_t value);
  Statement& bind_bool(int index, bool value) { return bind_int(index, value ? 1 : 0); }
  Statement& bind_instant(int index, Instant value) {
    return bind_int(index, to_unix_millis(value));
  }
  Statement& bind_digest(int index, const Digest& digest);
  Statement& bind_null(int index);

  // True when a row is ready to be read, false when the statement is done.
  Result<bool> step();
  // Steps to the end, discarding rows.
  Status run();

  // Columns are 0-based, as in SQLite; valid after step() returned true.
  std::int64_t int_at(int column) const;
  bool bool_at(int column) const { return int_at(column) != 0; }
  Instant instant_at(int column) const { return from_unix_millis(int_at(column)); }
  std::string text_at(int column) const;
  // A BLOB of exactly 32 bytes; anything else is a corrupt row (kInternal).
  Result<Digest> digest_at(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}

  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache slot's flag, or nullptr for an uncached statement
  int bind_rc_ = 0;
};

class Connection {
 public:
  enum class Access { kReadWrite, kReadOnly };

  // Opens `path` (creating it when kReadWrite), with extended result codes
  // and the given busy timeout.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, Access access,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A prepared statement for `sql`, from the cache when it is idle. `sql`
  // holds one statement with ? parameters for every value.
  Result<Statement> prepare(std::string_view sql);
  // Runs one statement without parameters (BEGIN, SAVEPOINT, ...), cached.
  Status execute(std::string_view sql);
  // Runs a script of several statements without parameters (migrations,
  // pragmas), uncached.
  Status execute_script(std::string_view sql);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  // True between BEGIN and COMMIT/ROLLBACK, false when SQLite rolled an
  // open transaction back by itself (e.g. on a full disk).
  bool in_transaction() const;

 private:
  struct Slot {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, Slot, SqlHash, std::equal_to<>> cache_;
};

}  // namespace latchkey::sqlite
