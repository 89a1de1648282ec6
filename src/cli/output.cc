#include "cli/output.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace latchkey::cli {

void print_json(std::ostream& out, std::string_view body) {
  if (body.empty()) return;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    out << body << "\n";
  } else {
    out << json.dump(2) << "\n";
  }
}

int report(const client::ClientError& error, std::ostream& err) {
  err << "latchkey: " << error.message() << "\n";
  return error.refused_by_server() ? kExitRefused : kExitUsage;
}

std::string path_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '~') {  // '.' too: no ".."
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

}  // namespace latchkey::cli
