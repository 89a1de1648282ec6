// One libpq connection (RAII) and the results of its queries.
//
// Queries are parameterised (never string-built): each distinct SQL text is
// prepared once per connection and then executed by name, parameters sent
// as text (bytea as binary). Results come back in text format; pg_values.h
// converts them.
//
// open() and reset() give the session latchkeyd's limits (statement_timeout
// 5 s, lock_timeout 2 s, idle_in_transaction_session_timeout 10 s) where
// nothing else set them: docs/postgresql.md.
//
// Every text parameter is checked first (refused_text()): no value is ever
// truncated at a NUL or sent as malformed UTF-8, whichever store sends it.
//
// Errors: exec() maps a failure to an Error (pg_errors.h rules) and keeps
// the SQLSTATE of the last failure (sqlstate()) so that the transaction
// runner can tell a serialization failure from anything else.
//
// Thread-safety: none; one thread at a time (the pool hands a connection to
// one caller).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

struct pg_conn;
struct pg_result;

namespace latchkey::pg {

// One query parameter: SQL NULL when `value` is empty.
struct Param {
  std::optional<std::string> value;
  bool binary = false;  // bytea
};

class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool empty() const { return size() == 0; }
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  pg_result* result_ = nullptr;
};

class Connection {
 public:
  // Connects with a libpq connection string (URL or key=value). kUnavailable
  // when the server cannot be reached; the description never holds a password.
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result<Rows> exec(std::string_view sql, std::span<const Param> params = {});
  Result<Rows> exec(std::string_view sql, std::initializer_list<Param> params) {
    return exec(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs one or more statements without parameters (migrations, BEGIN).
  Status execute_script(std::string_view sql);

  // False once the connection is broken (the server went away).
  bool healthy() const;
  // True inside a transaction block (also an aborted one).
  bool in_transaction() const;
  // SQLSTATE of the last failed command ("" when it was not the server's).
  const std::string& sqlstate() const { return sqlstate_; }
  // True when the last exec() was refused before reaching the server because
  // a text parameter held a NUL byte or malformed UTF-8 (pg_text.h): libpq
  // would cut "usr_x\0junk" to "usr_x", and the server refuses malformed
  // UTF-8. The error is kInvalidRequest (sqlstate() 22021, as the server's);
  // a lookup treats it as "no such row" (no stored text is like that), a
  // write passes it on. Nothing was sent: an open transaction stays usable.
  bool refused_text() const { return refused_text_; }
  // Re-establishes a broken connection; prepared statements are forgotten.
  Status reset();

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Error error_of(pg_result* result, std::string_view what);

  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  std::string sqlstate_;
  bool refused_text_ = false;
};

}  // namespace latchkey::pg
