// How the CLI reports: JSON results on stdout (pretty-printed), one
// "latchkey: ..." line per problem on stderr, and the exit code that goes
// with an error. Never prints a secret it was not asked to print.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "latchkey/client/error.h"

namespace latchkey::cli {

// Pretty-prints a JSON text (as is when it is not JSON); nothing when empty.
void print_json(std::ostream& out, std::string_view body);

// Writes the error to `err` and returns kExitRefused when the server
// refused, kExitUsage otherwise (usage, connection, unexpected response).
int report(const client::ClientError& error, std::ostream& err);

// Percent-encodes one path segment (a user id given on the command line).
std::string path_segment(std::string_view text);

}  // namespace latchkey::cli
