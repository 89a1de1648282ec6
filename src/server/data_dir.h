// The data directory holds the private JWT signing keys and every secret's
// digest: latchkeyd creates it mode 0700 (store/sqlite/database.cc, under
// umask 077) and warns when an existing one is open to group or others
// (docs/operations.md). It does not refuse to start: the files inside are
// created 0600 either way, and some installers make the directory for it.
#pragma once

#include <string>

namespace latchkey::server {

// A warning for the operator when `dir` exists and grants any permission to
// group or others (mode & 077); empty when it is private or missing.
std::string data_dir_permission_warning(const std::string& dir);

}  // namespace latchkey::server
