// Areas of the PostgreSQL store not built yet (pg_areas.h): each factory
// answers nullptr and PgStore aborts if the area is used. An area's branch
// deletes its lines here and adds its own files.
#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/event_outbox_store.h"
#include "store/key_store.h"
#include "store/policy_store.h"
#include "store/postgres/pg_areas.h"
#include "store/session_store.h"
#include "store/usage_store.h"

namespace latchkey::pg {

// keys area (branch pg-keys)
std::unique_ptr<KeyStore> make_pg_key_store(Database&) { return nullptr; }
std::unique_ptr<SessionStore> make_pg_session_store(Database&) { return nullptr; }
std::unique_ptr<UsageStore> make_pg_usage_store(Database&) { return nullptr; }
std::unique_ptr<EventOutboxStore> make_pg_outbox_store(Database&) { return nullptr; }

// policy area (branch pg-policy)
std::unique_ptr<PolicyStore> make_pg_policy_store(Database&) { return nullptr; }
std::unique_ptr<AuditStore> make_pg_audit_store(Database&) { return nullptr; }
std::unique_ptr<ConsoleStore> make_pg_console_store(Database&) { return nullptr; }

}  // namespace latchkey::pg
