// What a request path under /console names (docs/console.md, "Building and
// serving"). Pure: the raw path (as received, before '?') goes in, a verdict
// comes out; nothing is decoded or normalised, and only a file of the
// AssetTable, compared byte for byte, is ever named.
//
//   /console                      kRedirect to /console/
//   /console/                     kPage (index.html)
//   /console/<an embedded file>   kFile
//   /console/<client-side route>  kPage: not a file, not under assets/, and
//                                 no '.' in the last segment (/console/users/usr_1)
//   anything else well-formed     kNotFound
//   dot segments ("." ".."), an empty segment but a trailing one, a '\',
//   %-escapes of '/', '\', '.', '%' or a control character, a malformed
//   %-escape, or a byte outside RFC 3986 pchar      kInvalid
//   longer than kMaxConsolePathBytes                kNotFound
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "console/assets.h"

namespace latchkey::console {

inline constexpr std::string_view kConsolePrefix = "/console";
// No file or client-side route of the console is nearly this long.
inline constexpr std::size_t kMaxConsolePathBytes = 1024;

enum class PathKind { kRedirect, kPage, kFile, kNotFound, kInvalid };

struct ResolvedPath {
  PathKind kind = PathKind::kNotFound;
  // kPage: index.html (null in a build without the console); kFile: the file.
  const Asset* asset = nullptr;
  // kFile under assets/: named by its content hash, so cached for ever.
  bool immutable = false;
};

// `path`: the request's path, "/console" or starting with "/console/".
ResolvedPath resolve_console_path(const AssetTable& table, std::string_view path);

}  // namespace latchkey::console
