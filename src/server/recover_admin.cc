#include "server/recover_admin.h"

#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "audit/audit_event.h"
#include "console_auth/password.h"
#include "core/crash_points.h"
#include "core/ids.h"
#include "core/secret.h"
#include "invalidation/pg_notify_bus.h"
#include "server/bootstrap.h"
#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/open_store.h"
#include "store/revoked_token_store.h"
#include "store/store_url.h"

namespace latchkey::server {
namespace {

constexpr std::string_view kAdminName = "admin";

Status store_recovery(Store& store, const Instant now, const std::optional<User>& existing,
                      const NewUser& new_user, const ClientCredential& credential,
                      AdminRecovery& done) {
  if (!existing) {
    // An empty store gets its first user atomically, as at a first start;
    // otherwise the user, then its secret (a crash between leaves an admin
    // without credentials, which the next recover-admin completes).
    auto first = store.bootstrap_first_user(new_user, credential);
    if (!first) return fail(first.error());
    if (*first) return {};
    if (auto created = store.create_user(new_user); !created) return fail(created.error());
  }
  auto stored = store.set_client_secret(credential.user_id, credential.client_id,
                                        credential.secret_digest, now, /*only_if_none=*/false);
  if (!stored) return fail(stored.error());
  if (existing && (existing->disabled || !existing->api_access)) {
    UserUpdate update;
    update.disabled = false;
    update.api_access = true;
    if (auto updated = store.update_user(existing->id, update, now); !updated) {
      return fail(updated.error());
    }
  }
  auto revoked =
      store.end_account_tokens_of_user(credential.user_id, TokenEndReason::kRevoked, now);
  if (!revoked) return fail(revoked.error());
  done.tokens_revoked = *revoked;
  return {};
}

// The admin's console first: every session ends and every token minted for
// one (the API explorer's JWTs) is revoked by jti, then the new password is
// set. Done before the Client Secret, so that a crash part-way never leaves
// the old (perhaps stolen) password or sessions working.
Status end_console_access(Store& store, const Instant now, std::string_view user_id,
                          std::string_view password_hash) {
  ConsoleStore& console = store.console();
  if (auto ended = console.end_console_sessions_of_user(user_id, now, "revoked"); !ended) {
    return fail(ended.error());
  }
  auto tokens = console.console_session_tokens_of_user(user_id, now);
  if (!tokens) return fail(tokens.error());
  for (const ConsoleSessionToken& token : *tokens) {
    auto revoked = store.revoked_tokens().revoke_jwt(
        RevokedJwt{token.token_id, std::string(user_id), now, token.expires_at});
    if (!revoked) return fail(revoked.error());
  }
  return console.set_console_password(user_id, password_hash, now);
}

}  // namespace

Result<AdminRecovery> recover_admin(Store& store, const Clock& clock, Random& random,
                                    const DeliverCredential& deliver) {
  auto found = store.find_user_by_name(kAdminName);
  if (!found) return fail(found.error());
  const std::optional<User>& existing = *found;
  const Instant now = clock.now();

  AdminRecovery done;
  NewUser new_user;
  std::string client_id;
  if (existing) {
    const auto& modules = existing->modules;
    if (std::find(modules.begin(), modules.end(), kModuleAdmin) == modules.end()) {
      return fail(Error::conflict("the user named \"admin\" (" + existing->id +
                                  ") does not hold the ADMIN module; not recovering it"));
    }
    done.enabled = existing->disabled;
    done.api_access_turned_on = !existing->api_access;
    auto credential = store.client_credential_of_user(existing->id);
    if (!credential) return fail(credential.error());
    if (*credential) client_id = (*credential)->client_id;
  } else {
    new_user.id = new_id("usr_", random);
    new_user.name = std::string(kAdminName);
    new_user.type = UserType::kHuman;
    new_user.api_access = true;
    new_user.modules = {std::string(kModuleAdmin)};
    new_user.created_at = now;
    done.created = true;
  }
  if (client_id.empty()) client_id = new_id("cli_", random);

  done.credential = {existing ? existing->id : new_user.id, client_id,
                     generate_secret(SecretKind::kClientSecret, random)};
  // A new console password too (docs/console.md), hashed before delivery.
  done.credential.username = std::string(kAdminName);
  done.credential.console_password = console_auth::generate_password(random);
  auto password_hash = console_auth::hash_password(done.credential.console_password);
  if (!password_hash) return fail(password_hash.error());
  // Delivered first: a crash after this and before the commit leaves the old
  // secret working and this one void; running the command again fixes it.
  if (auto s = deliver(done.credential); !s) {
    return fail(Error{s.error().code, s.error().description + "; nothing was changed"});
  }
  test_hooks::durability_point("storing the recovered admin");
  const ClientCredential credential{client_id, done.credential.user_id,
                                    digest_secret(done.credential.client_secret), now};
  // Not one transaction (the store's calls each commit), so ordered: for an
  // existing admin the console (sessions, their tokens, the password) first,
  // then the Client Secret. A new admin has no console yet: the user first.
  if (existing) {
    if (auto s = end_console_access(store, now, existing->id, *password_hash); !s) {
      return fail(
          Error{s.error().code, "cannot store the new console password: " + s.error().description +
                                    "; the console password and Client Secret shown above are void "
                                    "and the old Client Secret still works (the admin's console "
                                    "sessions may have ended): run recover-admin again"});
    }
  }
  if (auto s = store_recovery(store, now, existing, new_user, credential, done); !s) {
    return fail(Error{s.error().code,
                      "cannot store the new Client Secret: " + s.error().description +
                          (existing ? "; the console password shown above works (the old one "
                                      "and every console session were ended), but the Client "
                                      "Secret shown above is void and the old one still works: "
                                      "run recover-admin again"
                                    : "; the secret shown above may be void: run recover-admin "
                                      "again")});
  }
  if (!existing) {
    if (auto s = store.console().set_console_password(done.credential.user_id, *password_hash, now);
        !s) {
      return fail(
          Error{s.error().code, "cannot store the new console password: " + s.error().description +
                                    "; the Client Secret shown above works, the console password "
                                    "shown above is void: run recover-admin again"});
    }
  }

  AuditEvent event;
  event.at = now;
  event.principal_id = done.credential.user_id;
  event.principal_name = std::string(kAdminName);
  event.credential = "client " + client_id;
  event.action = "admin.recovered";
  event.resource = "user/" + done.credential.user_id;
  event.decision = AuditDecision::kAllow;
  event.user_agent = "latchkeyd recover-admin";
  const std::vector<AuditEvent> events{event};
  if (auto s = store.audit().append(events); !s) {
    return fail(Error{s.error().code, "the admin was recovered, but the audit record failed: " +
                                          s.error().description});
  }
  return done;
}

int run_recover_admin(const RecoverAdminOptions& options, std::FILE* out, std::FILE* err) {
  const auto refuse = [err](const std::string& message) {
    std::fprintf(err, "latchkeyd recover-admin: %s\n", message.c_str());
    return 1;
  };
  // Never create a store here: recovering an empty directory is a mistake
  // (a wrong --data), and a first start creates the admin by itself. A
  // PostgreSQL store is shared and needs no offline run (docs/postgresql.md).
  if (options.store.empty()) {
    struct stat st {};
    const std::string database = options.data_dir + "/latchkey.db";
    if (::stat(database.c_str(), &st) != 0) {
      return refuse("no latchkey store in " + options.data_dir + " (" + database +
                    " is missing); check --data");
    }
  }
  auto store = open_store(options.store, {.data_dir = options.data_dir, .pool_size = 2});
  if (!store) {
    return refuse(store.error().description +
                  (options.store.empty()
                       ? "; recover-admin runs offline: stop latchkeyd first, then run it again"
                       : ""));
  }
  SystemClock clock;
  OsRandom random;
  auto recovered = recover_admin(
      **store, clock, random, [&](const IssuedClientCredential& credential) -> Status {
        return deliver_credential(
            options.bootstrap_file, options.url, credential,
            credential_banner("recover-admin: issued a new Client Secret and console password "
                              "for the admin user.",
                              options.url, credential),
            out);
      });
  if (!recovered) return refuse(recovered.error().description);
  // Nodes running on a shared PostgreSQL store reload what they hold of
  // the admin (docs/operations.md, "Cross-node invalidation"); a node that
  // misses it reloads within 5 minutes anyway.
  if (is_postgres_url(options.store)) {
    if (auto s = invalidation::notify_once(options.store, "recover-admin",
                                           {invalidation::Message::resync()});
        !s) {
      std::fprintf(err, "latchkeyd recover-admin: warning: %s\n", s.error().description.c_str());
    }
  }
  std::string what = "done: the admin (" + recovered->credential.user_id + ")";
  if (recovered->created) {
    what += " was created";
  } else {
    what += " has a new Client Secret and console password; the old ones, its account token (" +
            std::to_string(recovered->tokens_revoked) +
            " revoked) and its console sessions no longer work";
    if (recovered->enabled) what += "; it was disabled and is enabled again";
    if (recovered->api_access_turned_on) what += "; its API access is on again";
  }
  if (!options.bootstrap_file.empty()) what += "; written to " + options.bootstrap_file;
  std::fprintf(err,
               "latchkeyd recover-admin: %s. Recorded in the audit trail as "
               "admin.recovered.\n",
               what.c_str());
  return 0;
}

}  // namespace latchkey::server
