// Writes the token to a file sink so that readers never see half a file:
// a temporary file in the same directory (mode 0600, created exclusively),
// written, fsync'ed, then renamed over the target, and the directory
// fsync'ed. A reader opening the path sees the old content or the new one.
// The directory must exist; it is not created.
//
// Pure functions of their arguments and the file system; thread-safe for
// distinct paths.
#pragma once

#include <string>
#include <string_view>

#include "agent/agent_config.h"
#include "latchkey/client/error.h"
#include "latchkey/client/token.h"

namespace latchkey::agent {

// What a sink of `format` holds for `token`.
std::string sink_content(const client::Token& token, SinkFormat format);

// Replaces the file at `path` by `content`, atomically, with mode 0600.
// Fails with ErrorKind::kCache and a message naming the path and the errno
// (never the content).
client::Status write_file_atomically(const std::string& path, std::string_view content);

}  // namespace latchkey::agent
