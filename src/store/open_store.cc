#include "store/open_store.h"

#include <regex>

#include "store/postgres/pg_store.h"

namespace latchkey {

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://") ||
         url.find('=') != std::string_view::npos;
}

std::string redact_store_url(std::string_view url) {
  std::string out(url);
  // scheme://user:PASS@host
  static const std::regex userinfo(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/?#]*):[^@/?#]*@)");
  out = std::regex_replace(out, userinfo, "$1:***@");
  // password=PASS in a query string or a key=value string (quoted or not).
  static const std::regex keyword(R"((password\s*=\s*)('(\\.|[^'])*'|[^\s&]*))", std::regex::icase);
  return std::regex_replace(out, keyword, "$1***");
}

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
