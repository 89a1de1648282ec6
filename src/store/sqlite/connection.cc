#include "store/sqlite/connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace latchkey::sqlite {

Error sqlite_error(int rc, std::string_view what, std::string_view message) {
  std::string description = "store: " + std::string(what) + " failed: " + std::string(message);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error::conflict(std::move(description));
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found(std::move(description));
      return Error::internal(std::move(description));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::unavailable(std::move(description));
    default:
      return Error::internal(std::move(description));
  }
}

namespace {

Error statement_error(sqlite3_stmt* stmt, int rc) {
  const char* sql = sqlite3_sql(stmt);
  std::string_view first_word(sql ? sql : "statement");
  first_word = first_word.substr(0, first_word.find(' '));
  return sqlite_error(rc, first_word, sqlite3_errmsg(sqlite3_db_handle(stmt)));
}

}  // namespace

// --- Statement ---------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) {
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind_text(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_int(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_digest(int index, const Digest& digest) {
  const int rc = sqlite3_bind_blob(stmt_, index, digest.data(), static_cast<int>(digest.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return fail(statement_error(stmt_, bind_rc_));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(statement_error(stmt_, rc));
}

Status Statement::run() {
  for (;;) {
    auto more = step();
    if (!more) return fail(more.error());
    if (!*more) return {};
  }
}

std::int64_t Statement::int_at(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text_at(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

Result<Digest> Statement::digest_at(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  Digest digest{};
  if (blob == nullptr || size != static_cast<int>(digest.size())) {
    return fail(Error::internal("store: corrupt row: a digest is not 32 bytes"));
  }
  std::memcpy(digest.data(), blob, digest.size());
  return digest;
}

// --- Connection --------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, Access access,
                                                     int busy_timeout_ms) {
  const int flags = SQLITE_OPEN_NOMUTEX |
                    (access == Access::kReadOnly ? SQLITE_OPEN_READONLY
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error =
        sqlite_error(rc, "opening the database", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    // Opening is not a busy moment: a database that cannot be opened is down.
    error.code = ErrorCode::kUnavailable;
    return fail(std::move(error));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, slot] : cache_) sqlite3_finalize(slot.stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Statement(it->second.stmt, &it->second.in_use);
  }
  const bool cache_it = it == cache_.end();
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    cache_it ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return fail(sqlite_error(rc, "preparing a statement", sqlite3_errmsg(db_)));
  }
  if (stmt == nullptr) return fail(Error::internal("store: preparing an empty statement"));
  if (!cache_it) return Statement(stmt, nullptr);  // the cached one is busy (nested use)
  Slot& slot = cache_.emplace(std::string(sql), Slot{stmt, true}).first->second;
  return Statement(stmt, &slot.in_use);
}

Status Connection::execute(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return fail(statement.error());
  return statement->run();
}

Status Connection::execute_script(std::string_view sql) {
  const std::string script(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  Error error = sqlite_error(rc, "running a script", message ? message : sqlite3_errmsg(db_));
  sqlite3_free(message);
  return fail(std::move(error));
}

int Connection::changes() const { return sqlite3_changes(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace latchkey::sqlite
