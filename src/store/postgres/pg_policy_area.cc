#include "store/postgres/pg_policy_area.h"

#include <string>

namespace latchkey::pg {
Error not_found_if_missing_reference(const Connection& connection, Error error,
                                     std::string_view description) {
  if (connection.sqlstate() == kForeignKeyViolation) {
    return Error::not_found(std::string(description));
  }
  return error;
}

Status snapshot(Connection& connection) {
  return connection.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

}  // namespace latchkey::pg
