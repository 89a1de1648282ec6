#include "store/store_url.h"

#include <cctype>

// Hand-written rather than <regex>: GCC 12 warns falsely (maybe-uninitialized)
// inside <regex> under the sanitizer build, which builds with -Werror.
namespace latchkey {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// scheme://user:PASS@host -> scheme://user:***@host, for every URL in `in`.
std::string redact_userinfo(std::string_view in) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t sep = in.find("://"); sep != std::string_view::npos;
       sep = in.find("://", sep + 3)) {
    const std::size_t user = sep + 3;
    std::size_t end = user;  // the userinfo ends at '@', a URL ends at / ? # or a space
    while (end < in.size() && in[end] != '@' && in[end] != '/' && in[end] != '?' &&
           in[end] != '#' && !is_space(in[end])) {
      ++end;
    }
    if (end == in.size() || in[end] != '@') continue;
    const std::size_t colon = in.find(':', user);
    if (colon == std::string_view::npos || colon > end) continue;
    out.append(in.substr(from, colon + 1 - from));
    out.append("***");
    from = end;
  }
  out.append(in.substr(from));
  return out;
}

// password=PASS (in a query string or a key=value string, quoted or not,
// any case, spaces around '=') -> password=***.
std::string redact_password_keyword(std::string_view in) {
  static constexpr std::string_view kWord = "password";
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    bool word = in.size() - i >= kWord.size();
    for (std::size_t k = 0; word && k < kWord.size(); ++k) {
      word = std::tolower(static_cast<unsigned char>(in[i + k])) == kWord[k];
    }
    if (!word) {
      out.push_back(in[i++]);
      continue;
    }
    std::size_t j = i + kWord.size();
    while (j < in.size() && is_space(in[j])) ++j;
    if (j == in.size() || in[j] != '=') {
      out.append(in.substr(i, kWord.size()));
      i += kWord.size();
      continue;
    }
    ++j;
    while (j < in.size() && is_space(in[j])) ++j;
    out.append(in.substr(i, j - i));  // "password =" as written
    out.append("***");
    if (j < in.size() && in[j] == '\'') {  // a quoted value, with \-escapes
      ++j;
      while (j < in.size() && in[j] != '\'') j += (in[j] == '\\' && j + 1 < in.size()) ? 2 : 1;
      if (j < in.size()) ++j;  // the closing quote
    } else {
      while (j < in.size() && !is_space(in[j]) && in[j] != '&') ++j;
    }
    i = j;
  }
  return out;
}

}  // namespace

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://") ||
         url.find('=') != std::string_view::npos;
}

std::string redact_store_url(std::string_view url) {
  return redact_password_keyword(redact_userinfo(url));
}

}  // namespace latchkey
