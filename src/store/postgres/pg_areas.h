// The area stores of the PostgreSQL backend, each made by its own factory
// over the shared Database (pg_database.h), so that each area lives in its
// own files. PgStore (pg_store.h) owns what they return (never nullptr).
//
// Each returned store follows its interface's contract (store.h): domain
// operations atomic in the database, durable on return, callable from any
// thread. The Database outlives every area store.
#pragma once

#include <memory>

namespace latchkey {
class AuditStore;
class ConsoleStore;
class EventOutboxStore;
class KeyStore;
class PolicyStore;
class RevokedTokenStore;
class SessionStore;
class SigningKeyStore;
class UsageStore;
}  // namespace latchkey

namespace latchkey::pg {

class Database;

std::unique_ptr<KeyStore> make_pg_key_store(Database& db);                     // keys area
std::unique_ptr<SessionStore> make_pg_session_store(Database& db);             // keys area
std::unique_ptr<UsageStore> make_pg_usage_store(Database& db);                 // keys area
std::unique_ptr<EventOutboxStore> make_pg_outbox_store(Database& db);          // keys area
std::unique_ptr<PolicyStore> make_pg_policy_store(Database& db);               // policy area
std::unique_ptr<AuditStore> make_pg_audit_store(Database& db);                 // policy area
std::unique_ptr<ConsoleStore> make_pg_console_store(Database& db);             // policy area
std::unique_ptr<SigningKeyStore> make_pg_signing_key_store(Database& db);      // core
std::unique_ptr<RevokedTokenStore> make_pg_revoked_token_store(Database& db);  // core

}  // namespace latchkey::pg
