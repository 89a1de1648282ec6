#include "api/form_urlencoded.h"

#include <set>

#include "core/encoding.h"
#include "http/message.h"

namespace latchkey::api {
std::optional<std::string> FormFields::get(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> FormFields::value(std::string_view name) const {
  auto v = get(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> FormFields::repeated() const {
  std::set<std::string_view> seen;
  for (const auto& [k, v] : fields) {
    if (!seen.insert(k).second) return k;
  }
  return std::nullopt;
}

Result<FormFields> parse_form_urlencoded(std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes) return fail(Error::invalid_request("the form body is too large"));
  FormFields out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view segment = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (segment.empty()) continue;
    const auto eq = segment.find('=');
    auto name = form_url_decode(segment.substr(0, eq));
    auto value =
        form_url_decode(eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1));
    if (!name || !value) {
      return fail(Error::invalid_request("the form body has a malformed %-escape"));
    }
    out.fields.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

bool is_form_urlencoded(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  std::string_view type = content_type->substr(0, content_type->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return http::iequals(type, "application/x-www-form-urlencoded");
}

}  // namespace latchkey::api
