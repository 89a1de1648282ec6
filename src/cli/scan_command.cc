// `latchkey scan PATH...`: finds latchkey secrets (prefix + valid checksum)
// in files and directories, for a git pre-commit hook (docs/api-keys.md).
// Prints "file:line: kind masked" per finding; exit 1 when any is found, 0
// when clean, 2 on errors (unreadable or missing paths). Needs no server.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "keys/secret_scanner.h"

namespace latchkey::cli {

void add_scan_command(CLI::App& app, CommandContext& context) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* scan = app.add_subcommand(
      "scan",
      "Find latchkey secrets (lk_sec_, lk_key_, lk_at_ with a valid checksum) in files and "
      "directories; exit 1 when one is found");
  scan->add_option("PATH", *paths,
                   "files or directories (recursive; .git and binary files "
                   "are skipped)")
      ->required();
  context.on(scan, [&context, paths] {
    std::vector<std::filesystem::path> roots(paths->begin(), paths->end());
    const keys::ScanSummary summary = keys::scan_paths(
        roots,
        [&](const keys::SecretFinding& finding) {
          *context.out << keys::format_finding(finding) << "\n";
        },
        [&](const std::filesystem::path& path, const std::string& message) {
          *context.err << "latchkey: scan: " << path.string() << ": " << message << "\n";
        });
    if (summary.errors > 0) return kExitUsage;
    if (summary.findings > 0) {
      *context.err << "latchkey: scan: " << summary.findings
                   << " secret(s) found: remove them, and rotate (deactivate or reset) each one, "
                      "since it may already have leaked\n";
      return kExitRefused;
    }
    return kExitOk;
  });
}

}  // namespace latchkey::cli
