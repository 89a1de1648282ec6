// The `--store` setting as text: which backend it names, and its redacted
// form for logs and errors (docs/postgresql.md). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

// True for a setting that names PostgreSQL: postgres://..., postgresql://...
// or a libpq key=value string (holds '=').
bool is_postgres_url(std::string_view url);

// The setting with any password replaced by "***" (user:PASS@ in a URL,
// password=... in a URL query or a key=value string).
std::string redact_store_url(std::string_view url);

}  // namespace latchkey
