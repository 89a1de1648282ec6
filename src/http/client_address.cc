#include "http/client_address.h"

namespace latchkey::http {
namespace {

// More hops than any real chain: only this many entries, counted from the
// right, are read.
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
  // Read from the right: each trusted proxy appended the address it saw, so
  // the rightmost untrusted entry is the client. Only the kMaxHops rightmost
  // entries are read, so a client cannot pad its own forged prefix until the
  // real entries fall out of reach.
  std::string_view rest = chain;
  std::string client;
  for (std::size_t examined = 0; examined < kMaxHops; ++examined) {
    const auto comma = rest.rfind(',');
    const std::string_view hop =
        trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    const auto address = IpAddress::parse(hop);
    if (!address) return out;  // malformed: nothing left of it can be vouched for
    client = address->to_string();
    if (!trusted_proxies.contains(*address) || comma == std::string_view::npos) break;
    rest = rest.substr(0, comma);
  }
  // The first untrusted entry from the right; or, when every entry read is
  // a trusted proxy, the leftmost one read (as far back as it is followed).
  out.client = std::move(client);
  return out;
}

}  // namespace latchkey::http
