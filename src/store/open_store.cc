#include "store/open_store.h"

#include "store/postgres/pg_store.h"

namespace latchkey {

Result<std::unique_ptr<Store>> open_store(const std::string& url_or_empty,
                                          const StoreOptions& options) {
  if (url_or_empty.empty()) return open_sqlite_store(options);
  if (!is_postgres_url(url_or_empty)) {
    return fail(Error::invalid_request("unsupported store \"" + redact_store_url(url_or_empty) +
                                       "\": expected postgres://USER@HOST:PORT/DB, a libpq "
                                       "key=value string, or nothing for SQLite"));
  }
  auto store = pg::PgStore::open(pg::PgStoreOptions{url_or_empty, options.pool_size});
  if (!store) {
    Error error = store.error();
    error.description =
        "store " + redact_store_url(url_or_empty) + ": " + redact_store_url(error.description);
    return fail(std::move(error));
  }
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace latchkey
