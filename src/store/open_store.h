// Chooses the store backend from the `--store` setting (docs/postgresql.md):
//   ""                                   the embedded SQLite in options.data_dir
//   postgres://USER[:PASS]@HOST:PORT/DB  PostgreSQL (also postgresql://, and
//   host=... dbname=... (libpq key=value) any libpq connection string)
// Anything else is kInvalidRequest. Messages never hold a password
// (redact_store_url).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace latchkey {

Result<std::unique_ptr<Store>> open_store(const std::string& url_or_empty,
                                          const StoreOptions& options);

// True for a setting that names PostgreSQL.
bool is_postgres_url(std::string_view url);

// The setting with any password replaced by "***" (user:PASS@ in a URL,
// password=... in a URL query or a key=value string), for logs and errors.
std::string redact_store_url(std::string_view url);

}  // namespace latchkey
