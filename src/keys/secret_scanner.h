// Leak hygiene: finding latchkey secrets in text and files (`latchkey scan`).
//
// A finding is a latchkey prefix (lk_sec_, lk_key_, lk_at_, lk_cs_, lk_inv_) followed by the
// exact body and a VALID checksum (core/secret.h classify_secret), so that a
// random string of the same shape is never reported. Findings carry only the
// masked secret; nothing here prints or keeps a full secret.
//
// Pure functions over text, plus a file walker that skips .git directories
// and binary files (a NUL byte in the first 8 KiB). Thread-compatible.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"

namespace latchkey::keys {

struct SecretFinding {
  std::string file;      // empty for scan_text()
  std::size_t line = 0;  // 1-based
  SecretKind kind = SecretKind::kApiKey;
  std::string masked;
};

// "client_secret", "api_key", "access_token".
std::string_view secret_kind_name(SecretKind kind);

// Every well-formed secret in `text`, with 1-based line numbers.
std::vector<SecretFinding> scan_text(std::string_view text);

// True when `head` (the first bytes of a file) looks binary.
bool looks_binary(std::string_view head);

struct ScanSummary {
  std::size_t files_scanned = 0;
  std::size_t findings = 0;
  std::size_t errors = 0;
};

// Scans files and, recursively, directories (not following directory
// symlinks; skipping .git and binary files). Calls `on_finding` per finding
// and `on_error(path, message)` per unreadable path.
ScanSummary scan_paths(
    const std::vector<std::filesystem::path>& paths,
    const std::function<void(const SecretFinding&)>& on_finding,
    const std::function<void(const std::filesystem::path&, const std::string&)>& on_error);

// "file:line: kind masked", the line `latchkey scan` prints.
std::string format_finding(const SecretFinding& finding);

}  // namespace latchkey::keys
