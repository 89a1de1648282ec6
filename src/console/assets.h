// The web console's files (docs/console.md): the Vite build of console/,
// embedded into latchkeyd at build time by cmake/EmbedConsole.cmake (the
// generated source defines embedded_assets()). Nothing here reads the disk:
// a request can only ever reach one of these files.
//
// Thread-safety: constant data; an AssetTable is immutable once built and
// safe to read from any thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace latchkey::console {

struct Asset {
  std::string_view path;          // relative to /console/: "index.html", "assets/index-Ab1.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // strong, quoted: "\"<32 hex digits of SHA-256>\""
  std::string_view bytes;
};

// Every file of the console as built with latchkeyd; empty when it was built
// with -DLATCHKEY_CONSOLE=OFF.
std::span<const Asset> embedded_assets();

// The files by path, for exact lookups.
class AssetTable {
 public:
  explicit AssetTable(std::span<const Asset> assets);

  // The console latchkeyd was built with (built once, on first use).
  static const AssetTable& embedded();

  // The file with exactly this path (byte for byte), or null.
  const Asset* find(std::string_view path) const;
  // index.html, the page of every client-side route; null in a build
  // without the console.
  const Asset* index() const { return index_; }
  std::size_t size() const { return sorted_.size(); }

 private:
  std::vector<const Asset*> sorted_;  // by path
  const Asset* index_ = nullptr;
};

}  // namespace latchkey::console
