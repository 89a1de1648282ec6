// First start and admin recovery: how a one-time admin credential reaches
// whoever runs latchkeyd, in an order that no crash can turn into a
// lock-out (docs/security/bootstrap.md).
//
// The rule: a credential is DELIVERED before it is STORED. On a store
// without users, latchkeyd makes the admin and its secret in memory, writes
// them to the --bootstrap-file (atomically, see write_bootstrap_file) and
// prints them on stdout, and only then commits the admin. A kill -9 at any
// point before the commit leaves a store without users, so the next start
// simply bootstraps again (a new secret, a new file); a kill -9 after it
// leaves an admin whose secret was already delivered. There is no state in
// which the admin exists and its secret was never shown. All of this runs
// before the port listens, so a client that can connect finds the file
// complete. `latchkeyd recover-admin` (server/recover_admin.h) follows the
// same rule.
#pragma once

#include <cstdio>
#include <string>

#include "accounts/user_service.h"
#include "core/clock.h"
#include "core/error.h"

namespace latchkey::server {

// Writes {"url","user_id","client_id","client_secret"} to `path` so that a
// reader sees no file, the previous file, or the whole new one: a temporary
// `<path>.tmp` (mode 0600, created exclusively, never through a symlink),
// fsync, rename over `path`, fsync of the directory. An existing `path` is
// replaced only when it is a regular file that is empty or holds such a
// document; anything else is kConflict (latchkeyd never overwrites a file it
// did not write). kUnavailable when the file cannot be written.
Status write_bootstrap_file(const std::string& path, const std::string& url,
                            const IssuedClientCredential& credential);

// The text printed to stdout. `headline` says why (first start, recovery).
std::string credential_banner(const std::string& headline, const std::string& url,
                              const IssuedClientCredential& credential);

// Delivers a credential: to `file` (when not empty) with write_bootstrap_file,
// then `banner` to `out`, flushed. The first failure is returned; a caller
// stores the credential only after this succeeded.
Status deliver_credential(const std::string& file, const std::string& url,
                          const IssuedClientCredential& credential, const std::string& banner,
                          std::FILE* out);

// The first start's credentials as one JSON line (--log-format json,
// docs/logging.md), with the keys of a log line (time, level, logger
// "bootstrap", msg) and url, user_id, client_id. The client secret is in
// it only when there is no bootstrap file to hold it; otherwise the line
// names the file ("bootstrap_file") and the secret stays out of stdout.
std::string credential_json_line(const std::string& time, const std::string& url,
                                 const IssuedClientCredential& credential,
                                 const std::string& bootstrap_file);

// The first start. On a store without users: makes the admin, delivers its
// credential, then stores it, and returns true. `json_clock` set: the
// credential is printed as credential_json_line() timed by it, else as the
// text banner. Otherwise does nothing and
// returns false. An error means nothing was stored (or the store failed);
// latchkeyd then exits without listening, and its next start tries again.
Result<bool> run_first_start(UserService& users, const std::string& url,
                             const std::string& bootstrap_file, std::FILE* out,
                             const Clock* json_clock = nullptr);

}  // namespace latchkey::server
