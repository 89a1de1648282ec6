// Serves the web console (docs/console.md, "Building and serving"):
// GET|HEAD /console and /console/{path+}, from the embedded AssetTable only.
//
//   /console                 308 to /console/ (the query kept)
//   a page (console_path.h)  200 index.html, Cache-Control: no-cache
//   /console/assets/<file>   200 the file, Cache-Control: public, max-age=31536000, immutable
//   any other embedded file  200 the file, Cache-Control: no-cache
//   If-None-Match naming the file's ETag  304
//   no such file             404 JSON; a malformed or traversing path 400 JSON
//
// Every answer carries the console's security headers (kConsoleCsp and
// friends). Never a 500: nothing here can fail but a lookup.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <string_view>

#include "console/assets.h"
#include "http/message.h"

namespace latchkey::console {

// No inline script or style, no other origin, no framing, no plugins.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

http::Response serve_console(const AssetTable& table, const http::Request& request);

// CSP, X-Content-Type-Options, Referrer-Policy, X-Frame-Options.
void add_security_headers(http::Response& response);

// RFC 9110 §13.1.2: whether If-None-Match (a list of entity tags, or "*")
// names `etag`, compared weakly (a W/ prefix is ignored).
bool if_none_match_names(std::string_view if_none_match, std::string_view etag);

}  // namespace latchkey::console
