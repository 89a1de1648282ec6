// Chooses the store backend from the `--store` setting (docs/postgresql.md):
//   ""                                   the embedded SQLite in options.data_dir
//   postgres://USER[:PASS]@HOST:PORT/DB  PostgreSQL (also postgresql://, and
//   host=... dbname=... (libpq key=value) any libpq connection string)
// Anything else is kInvalidRequest. Messages never hold a password
// (redact_store_url, store_url.h).
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "store/store.h"
#include "store/store_url.h"

namespace latchkey {

Result<std::unique_ptr<Store>> open_store(const std::string& url_or_empty,
                                          const StoreOptions& options);

}  // namespace latchkey
