// `latchkeyd recover-admin`: offline recovery of the admin account, for an
// operator who lost its Client Secret (docs/security/bootstrap.md).
//
// Runs only while no latchkeyd holds the data directory (the store's
// directory lock refuses it otherwise). It works on the user named `admin`
// (the one the first start creates; users are never renamed or deleted):
//   - a new Client Secret replaces the old one (the Client ID stays), and
//     the admin's account token is revoked (OAuth access tokens issued
//     with the old secret live until they expire, as after an online reset);
//   - a disabled admin is enabled again, and API access is turned on;
//   - if the store has no `admin` at all, one is created (human, API
//     access, ADMIN).
// As at the first start, the new secret is delivered (bootstrap file, then
// stdout) before it is stored; the change is then recorded in the audit
// trail as `admin.recovered` (no secret in it).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "accounts/user_service.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/store.h"

namespace latchkey::server {

struct AdminRecovery {
  IssuedClientCredential credential;
  bool created = false;  // there was no `admin`
  bool enabled = false;  // it was disabled
  bool api_access_turned_on = false;
  int tokens_revoked = 0;
};

// Delivers the new credential; recover_admin() stores nothing when it fails.
using DeliverCredential = std::function<Status(const IssuedClientCredential&)>;

// The recovery on an open store. kConflict when the user named `admin`
// does not hold ADMIN (recovering it would not give admin rights back).
Result<AdminRecovery> recover_admin(Store& store, const Clock& clock, Random& random,
                                    const DeliverCredential& deliver);

struct RecoverAdminOptions {
  std::string data_dir;
  std::string bootstrap_file;  // when set, the new credential is written here too
  std::string url;             // shown with the credential
  std::string store;           // --store: PostgreSQL instead of the SQLite in data_dir
};

// The command: opens the store (refused while latchkeyd runs), recovers,
// prints. Returns the exit code: 0 done, 1 refused or failed (said on `err`).
int run_recover_admin(const RecoverAdminOptions& options, std::FILE* out, std::FILE* err);

}  // namespace latchkey::server
