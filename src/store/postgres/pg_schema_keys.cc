// The keys area's schema (versions 2xx, pg_migrations.h): API keys and their
// allowed origins (key_allowed_origins; pg_origin_rows.h writes it), login
// sessions, usage per key. event_outbox is core's (pg_schema_core.cc).
#include "store/postgres/pg_migrations.h"

namespace latchkey::pg {

// Empty until the keys area lands (issue 12, branch pg-keys).
std::span<const Migration> keys_migrations() { return {}; }

}  // namespace latchkey::pg
