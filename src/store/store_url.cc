#include "store/store_url.h"

#include <regex>

namespace latchkey {

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://") ||
         url.find('=') != std::string_view::npos;
}

std::string redact_store_url(std::string_view url) {
  std::string out(url);
  // scheme://user:PASS@host
  static const std::regex userinfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/?#\s]*):[^@/?#\s]*@)");
  out = std::regex_replace(out, userinfo, "$1:***@");
  // password=PASS in a query string or a key=value string (quoted or not).
  static const std::regex keyword(R"((password\s*=\s*)('(\\.|[^'])*'|[^\s&]*))", std::regex::icase);
  return std::regex_replace(out, keyword, "$1***");
}

}  // namespace latchkey
