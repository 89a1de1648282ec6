#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <array>
#include <utility>

#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_text.h"

namespace latchkey::pg {

// --- Rows --------------------------------------------------------------------

Rows::Rows(pg_result* result) : result_(result) {}
Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
Rows::~Rows() {
  if (result_) PQclear(result_);
}

int Rows::size() const { return result_ ? PQntuples(result_) : 0; }

bool Rows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view Rows::text(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Rows::affected() const {
  const char* count = result_ ? PQcmdTuples(result_) : "";
  return *count ? std::stoll(count) : 0;
}

// --- Connection ----------------------------------------------------------------

namespace {

// Session limits, so that a stuck statement, a lock wait or a client that
// vanished inside a transaction cannot hold a row lock (a user's issuance
// queue) and a pooled connection for long: docs/postgresql.md. Applied only
// where nothing set the parameter (source "default"): a value given in the
// setting (`options=-c statement_timeout=30s`), by ALTER ROLE/DATABASE or in
// postgresql.conf wins.
constexpr const char* kSessionDefaults =
    "SELECT set_config(d.name, d.value, false)"
    " FROM (VALUES ('statement_timeout', '5s'), ('lock_timeout', '2s'),"
    " ('idle_in_transaction_session_timeout', '10s')) AS d(name, value)"
    " JOIN pg_settings s ON s.name = d.name WHERE s.source = 'default'";

// False when the session limits could not be set (the connection broke).
bool apply_session_defaults(PGconn* conn) {
  PGresult* result = PQexec(conn, kSessionDefaults);
  const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  PQclear(result);
  return ok;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo) {
  // Our defaults first: the caller's string (expanded from "dbname") may
  // override them. A server that vanishes without a reset (a network
  // partition) is noticed within ~30 s instead of the kernel's hours.
  const std::array<const char*, 8> keywords = {
      "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const std::array<const char*, 8> values = {"5",     "latchkeyd",      "15",   "5", "3",
                                             "30000", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return fail(Error::unavailable("postgres: out of memory connecting"));
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return fail(
        Error::unavailable("store unavailable: cannot connect to PostgreSQL (" + message + ")"));
  }
  // Server notices ("relation already exists, skipping") are not errors and
  // would go to stderr: dropped.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (!apply_session_defaults(conn)) {
    PQfinish(conn);
    return fail(Error::unavailable("store unavailable: cannot set up the PostgreSQL session"));
  }
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

bool Connection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

bool Connection::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

Status Connection::reset() {
  prepared_.clear();
  PQreset(conn_);
  if (!healthy() || !apply_session_defaults(conn_)) {
    return fail(Error::unavailable("store unavailable: cannot reconnect to PostgreSQL"));
  }
  return {};
}

Error Connection::error_of(pg_result* result, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint = result ? PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  sqlstate_ = state ? state : "";
  // The primary message only: DETAIL lines quote row values (a digest,
  // a name) that have no place in an error a client may see.
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : "";
  if (message.empty()) message = PQerrorMessage(conn_);
  if (message.empty()) message = std::string(what) + " failed";
  return error_for(sqlstate_, message, constraint ? constraint : "", !healthy());
}

Result<Rows> Connection::exec(std::string_view sql, std::span<const Param> params) {
  sqlstate_.clear();
  refused_text_ = false;
  for (const Param& param : params) {
    if (param.value && !param.binary && !is_storable_text(*param.value)) {
      refused_text_ = true;
      sqlstate_ = kUnstorableText;
      return fail(Error::invalid_request("text must be valid UTF-8 without NUL characters"));
    }
  }
  std::string key(sql);
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    std::string name = "lk" + std::to_string(prepared_.size() + 1);
    PGresult* prepared = PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      Error error = error_of(prepared, "prepare");
      PQclear(prepared);
      return fail(std::move(error));
    }
    PQclear(prepared);
    found = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  std::vector<int> formats(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].value ? params[i].value->c_str() : nullptr;
    lengths[i] = params[i].value ? static_cast<int>(params[i].value->size()) : 0;
    formats[i] = params[i].binary ? 1 : 0;
  }
  PGresult* result =
      PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(params.size()), values.data(),
                     lengths.data(), formats.data(), /*resultFormat=*/0);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error error = error_of(result, "query");
    PQclear(result);
    return fail(std::move(error));
  }
  return Rows(result);
}

Status Connection::execute_script(std::string_view sql) {
  sqlstate_.clear();
  refused_text_ = false;
  const std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error error = error_of(result, "statement");
    PQclear(result);
    return fail(std::move(error));
  }
  PQclear(result);
  return {};
}

}  // namespace latchkey::pg
