// The web console's request paths (src/console/console_path.cc,
// console_handler.cc) against a fixed table of files.
//
// Input: a request target (path and query), as received.
//
// Properties: the answer is 200, 304, 308, 400 or 404 and carries the
// console's CSP; a 200 body is a file of the table, and a file other than
// index.html only when the path names it exactly; nothing is served for a
// path with a dot segment, a '\', NUL, or an escaped '/', '\' or '.'; an
// error body is JSON that does not repeat the path; the file's own ETag
// turns the 200 into a 304 with no body.
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "console/console_handler.h"
#include "console/console_path.h"
#include "fuzz_check.h"

namespace {

using latchkey::console::Asset;
using latchkey::console::AssetTable;

constexpr std::array<Asset, 4> kAssets = {{
    {"index.html", "text/html; charset=utf-8", "\"1\"", "<!doctype html>index"},
    {"assets/app-AbC1.js", "text/javascript; charset=utf-8", "\"2\"", "js"},
    {"assets/app-XyZ2.css", "text/css; charset=utf-8", "\"3\"", "css"},
    {"favicon.svg", "image/svg+xml", "\"4\"", "<svg/>"},
}};

// What must never be served, whatever the table holds.
bool looks_like_traversal(std::string_view path) {
  std::string lower(path);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view bad : {"%2e", "%2f", "%5c", "%00", "\\", "/./", "/../"}) {
    if (lower.find(bad) != std::string::npos) return true;
  }
  return lower.find('\0') != std::string::npos || lower.ends_with("/.") || lower.ends_with("/..");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const AssetTable table(kAssets);
  latchkey::http::Request request;
  request.method = "GET";
  request.target = std::string(latchkey::fuzz::as_text(data, size));
  const std::string_view path = request.path();
  if (!path.starts_with("/console")) return 0;  // the router sends only these

  const latchkey::http::Response r = latchkey::console::serve_console(table, request);
  FUZZ_CHECK(r.status == 200 || r.status == 304 || r.status == 308 || r.status == 400 ||
             r.status == 404);
  FUZZ_CHECK(r.header("Content-Security-Policy") == latchkey::console::kConsoleCsp);
  FUZZ_CHECK(r.header("X-Frame-Options") == "DENY");

  if (r.status == 200) {
    FUZZ_CHECK(!looks_like_traversal(path));
    const Asset* served = nullptr;
    for (const Asset& asset : kAssets) {
      if (r.body == asset.bytes) served = &asset;
    }
    FUZZ_CHECK(served != nullptr);
    FUZZ_CHECK(served->path == "index.html" ||
               path == std::string("/console/") + std::string(served->path));
    FUZZ_CHECK(r.header("ETag") == served->etag);

    latchkey::http::Request again = request;
    again.add_header("If-None-Match", served->etag);
    const latchkey::http::Response cached = latchkey::console::serve_console(table, again);
    FUZZ_CHECK(cached.status == 304);
    FUZZ_CHECK(cached.body.empty());
  }
  if (r.status == 400 || r.status == 404) {
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    FUZZ_CHECK(!body.is_discarded() && body.is_object() && body.contains("error"));
    FUZZ_CHECK(r.body.find("/console") == std::string::npos);
  }
  if (r.status == 308) FUZZ_CHECK(r.header("Location").value_or("").starts_with("/console/"));
  return 0;
}
