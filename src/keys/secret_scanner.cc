#include "keys/secret_scanner.h"

#include <array>
#include <fstream>
#include <sstream>
#include <system_error>

namespace latchkey::keys {
namespace {

namespace fs = std::filesystem;

constexpr std::array kKinds = {SecretKind::kClientSecret, SecretKind::kApiKey,
                               SecretKind::kAccessToken, SecretKind::kConsoleSession,
                               SecretKind::kInvitation};
constexpr std::size_t kTailChars = kSecretBodyChars + kSecretChecksumChars;
constexpr std::size_t kBinaryProbeBytes = 8192;

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void scan_file(const fs::path& path, const std::function<void(const SecretFinding&)>& on_finding,
               const std::function<void(const fs::path&, const std::string&)>& on_error,
               ScanSummary& summary) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ++summary.errors;
    on_error(path, "cannot open");
    return;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    ++summary.errors;
    on_error(path, "cannot read");
    return;
  }
  const std::string text = buffer.str();
  if (looks_binary(std::string_view(text).substr(0, kBinaryProbeBytes))) return;
  ++summary.files_scanned;
  for (SecretFinding& finding : scan_text(text)) {
    finding.file = path.string();
    ++summary.findings;
    on_finding(finding);
  }
}

}  // namespace

std::string_view secret_kind_name(SecretKind kind) {
  switch (kind) {
    case SecretKind::kClientSecret:
      return "client_secret";
    case SecretKind::kApiKey:
      return "api_key";
    case SecretKind::kAccessToken:
      return "access_token";
    case SecretKind::kConsoleSession:
      return "console_session";
    case SecretKind::kInvitation:
      return "invitation";
  }
  return "secret";
}

std::vector<SecretFinding> scan_text(std::string_view text) {
  std::vector<SecretFinding> findings;
  std::size_t line = 1;
  std::size_t pos = 0;
  std::size_t counted = 0;  // newlines before `counted` are in `line`
  while (pos < text.size()) {
    const std::size_t next = text.find("lk_", pos);
    if (next == std::string_view::npos) break;
    for (std::size_t i = counted; i < next; ++i) {
      if (text[i] == '\n') ++line;
    }
    counted = next;
    pos = next + 1;
    for (SecretKind kind : kKinds) {
      const std::string_view prefix = secret_prefix(kind);
      if (text.substr(next, prefix.size()) != prefix) continue;
      const std::size_t tail = next + prefix.size();
      if (text.size() - tail < kTailChars) break;
      std::string_view candidate = text.substr(next, prefix.size() + kTailChars);
      bool shape = true;
      for (char c : candidate.substr(prefix.size())) shape = shape && is_base62(c);
      // A longer base62 run is some other string that merely starts alike.
      if (!shape || (tail + kTailChars < text.size() && is_base62(text[tail + kTailChars]))) break;
      if (classify_secret(candidate) == kind) {
        findings.push_back(SecretFinding{{}, line, kind, mask_secret(candidate)});
        pos = next + candidate.size();
      }
      break;
    }
  }
  return findings;
}

bool looks_binary(std::string_view head) { return head.find('\0') != std::string_view::npos; }

ScanSummary scan_paths(const std::vector<fs::path>& paths,
                       const std::function<void(const SecretFinding&)>& on_finding,
                       const std::function<void(const fs::path&, const std::string&)>& on_error) {
  ScanSummary summary;
  for (const fs::path& root : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(root, ec);
    if (ec || !fs::exists(status)) {
      ++summary.errors;
      on_error(root, "no such file or directory");
      continue;
    }
    if (!fs::is_directory(status)) {
      scan_file(root, on_finding, on_error, summary);
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      ++summary.errors;
      on_error(root, ec.message());
      continue;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        ++summary.errors;
        on_error(root, ec.message());
        break;
      }
      const fs::directory_entry& entry = *it;
      if (entry.path().filename() == ".git") {
        if (entry.is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;
      scan_file(entry.path(), on_finding, on_error, summary);
    }
  }
  return summary;
}

std::string format_finding(const SecretFinding& finding) {
  return finding.file + ":" + std::to_string(finding.line) + ": " +
         std::string(secret_kind_name(finding.kind)) + " " + finding.masked;
}

}  // namespace latchkey::keys
