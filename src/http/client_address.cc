#include "http/client_address.h"

#include <vector>

namespace latchkey::http {
namespace {

// More hops than any real chain; a longer header is read no further (the
// peer is then the client, as for a malformed entry).
constexpr std::size_t kMaxHops = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string forwarded_for_chain(const Request& request) {
  std::string chain;
  for (const auto field : request.headers) {
    if (!iequals(field.name, "X-Forwarded-For")) continue;
    const std::string_view value = trim(field.value);
    if (value.empty()) continue;
    if (!chain.empty()) chain += ", ";
    chain += value;
  }
  return chain;
}

ClientAddress resolve_client_address(const CidrSet& trusted_proxies, std::string_view peer,
                                     const Request& request) {
  ClientAddress out{std::string(peer), false};
  if (trusted_proxies.empty() || !trusted_proxies.contains(peer)) return out;
  out.peer_trusted = true;
  const std::string chain = forwarded_for_chain(request);
  if (chain.empty()) return out;
  std::vector<std::string_view> hops;
  std::string_view rest = chain;
  while (true) {
    if (hops.size() == kMaxHops) return out;
    const auto comma = rest.find(',');
    hops.push_back(trim(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const auto address = IpAddress::parse(*hop);
    if (!address) return out;  // malformed: nothing left of it can be vouched for
    if (!trusted_proxies.contains(*address) || std::next(hop) == hops.rend()) {
      out.client = address->to_string();
      return out;
    }
  }
  return out;
}

}  // namespace latchkey::http
