#include "accounts/origin_restriction.h"

#include <algorithm>

#include "core/redaction.h"

namespace latchkey {

OriginRestriction OriginRestriction::of(const std::vector<std::string>& cidrs) {
  OriginRestriction r;
  if (cidrs.empty()) return r;
  r.restricted_ = true;
  std::vector<std::string> parseable;
  parseable.reserve(cidrs.size());
  for (const std::string& text : cidrs) {
    if (Cidr::parse(text)) parseable.push_back(text);
  }
  if (auto set = CidrSet::parse(parseable)) r.blocks_ = std::move(*set);
  return r;
}

OriginRestriction OriginRestriction::of_key(const std::vector<std::string>& key_cidrs,
                                            const std::vector<std::string>& owner_cidrs) {
  OriginRestriction r = of(key_cidrs);
  const OriginRestriction owner = of(owner_cidrs);
  r.owner_blocks_ = owner.blocks_;
  r.owner_restricted_ = owner.restricted_;
  return r;
}

Result<std::vector<std::string>> normalize_allowed_origins(
    const std::vector<std::string>& entries) {
  if (entries.size() > kMaxAllowedOrigins) {
    return fail(Error::invalid_request("at most " + std::to_string(kMaxAllowedOrigins) +
                                       " CIDR blocks are allowed, got " +
                                       std::to_string(entries.size()))
                    .with_reason("too_many_origins"));
  }
  std::vector<std::string> normalized;
  normalized.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string& text = entries[i];
    auto cidr = Cidr::parse(text);
    if (!cidr) {
      // The entry is the client's own text: shown cut short, and never a
      // secret pasted into the wrong field.
      const std::string shown = sanitize_for_display(text.substr(0, 64));
      std::string why = cidr.error().description;
      if (const auto open = why.rfind(" ("); open != std::string::npos) {
        why = why.substr(open + 2, why.size() - open - 3);
      } else {
        why = "not a CIDR block";
      }
      return fail(Error::invalid_request("cidrs[" + std::to_string(i) + "] \"" + shown +
                                         "\" is not an IPv4 or IPv6 CIDR block (" + why + ")")
                      .with_reason("invalid_cidr")
                      .with_detail("entry", shown)
                      .with_detail("index", std::to_string(i)));
    }
    std::string canonical = cidr->to_string();
    if (std::find(normalized.begin(), normalized.end(), canonical) == normalized.end()) {
      normalized.push_back(std::move(canonical));
    }
  }
  return normalized;
}

}  // namespace latchkey
