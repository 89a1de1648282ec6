// What a proxy says about the client: the PROXY protocol v1/v2 parser
// (src/http/proxy_protocol.cc), X-Forwarded-For resolution
// (src/http/client_address.cc) and CIDR parsing (src/core/cidr.cc).
//
// Input: the first byte picks the check; the rest is the data.
//   even: a connection's first bytes, fed to the parser whole and then one
//         byte at a time as a slow proxy would send them;
//   odd:  "cidr,cidr,...\npeer\nX-Forwarded-For value".
//
// Properties: a parse is done, incomplete or invalid, and the same whether
// the bytes come at once or one by one (a prefix of a done header is never
// invalid); a done header's length is within the bounds (107 bytes for v1,
// 16 + 1024 for v2) and within the input; an incomplete one was shorter
// than the bounds. A resolved client is the peer or an entry of the chain,
// canonical; from an untrusted peer it is the peer. A parsed CIDR prints
// as text that parses to a block containing the same addresses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cidr.h"
#include "fuzz_check.h"
#include "http/client_address.h"
#include "http/proxy_protocol.h"

namespace {

using latchkey::Cidr;
using latchkey::CidrSet;
using latchkey::IpAddress;
using latchkey::http::parse_proxy_header;
using latchkey::http::ProxyParse;
using Status = ProxyParse::Status;

void check_proxy(std::string_view bytes) {
  const ProxyParse whole = parse_proxy_header(bytes);
  if (whole.status == Status::kDone) {
    const auto& h = whole.header;
    FUZZ_CHECK(h.length <= bytes.size());
    FUZZ_CHECK(h.version == 1 || h.version == 2);
    FUZZ_CHECK(h.length <= (h.version == 1 ? latchkey::http::kMaxProxyV1Bytes
                                           : latchkey::http::kProxyV2FixedBytes +
                                                 latchkey::http::kMaxProxyV2Payload));
    // The header alone parses the same.
    const ProxyParse alone = parse_proxy_header(bytes.substr(0, h.length));
    FUZZ_CHECK(alone.status == Status::kDone && alone.header.length == h.length);
    FUZZ_CHECK(alone.header.source == h.source && alone.header.source_port == h.source_port);
    if (h.source) FUZZ_CHECK(IpAddress::parse(h.source->to_string()) == h.source);
  } else if (whole.status == Status::kIncomplete) {
    FUZZ_CHECK(bytes.size() <
               latchkey::http::kProxyV2FixedBytes + latchkey::http::kMaxProxyV2Payload);
  } else {
    FUZZ_CHECK(!whole.error.empty());
  }
  // Byte by byte: incomplete until the answer the whole input gave.
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const ProxyParse part = parse_proxy_header(bytes.substr(0, n));
    if (part.status == Status::kIncomplete) continue;
    FUZZ_CHECK(part.status == whole.status);
    if (part.status == Status::kDone) FUZZ_CHECK(part.header.length == whole.header.length);
    break;
  }
}

std::vector<std::string> split(std::string_view text, char by) {
  std::vector<std::string> out;
  while (true) {
    const auto at = text.find(by);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

void check_forwarded(std::string_view text) {
  const auto lines = split(text, '\n');
  if (lines.size() < 3) return;
  std::vector<std::string> blocks = split(lines[0], ',');
  if (lines[0].empty()) blocks.clear();
  for (const auto& block : blocks) {
    const auto cidr = Cidr::parse(block);
    if (!cidr) continue;
    const auto again = Cidr::parse(cidr->to_string());
    FUZZ_CHECK(again && again->to_string() == cidr->to_string());
  }
  const auto set = CidrSet::parse(blocks);
  if (!set) return;
  const std::string& peer = lines[1];
  latchkey::http::Request request;
  for (std::size_t i = 2; i < lines.size(); ++i) request.add_header("X-Forwarded-For", lines[i]);
  const auto resolved = latchkey::http::resolve_client_address(*set, peer, request);
  if (!set->contains(peer)) {
    FUZZ_CHECK(resolved.client == peer && !resolved.peer_trusted);
    return;
  }
  FUZZ_CHECK(resolved.peer_trusted);
  if (resolved.client == peer) return;
  const auto address = IpAddress::parse(resolved.client);
  FUZZ_CHECK(address && address->to_string() == resolved.client);
  // It came from the chain.
  bool found = false;
  for (std::size_t i = 2; i < lines.size() && !found; ++i) {
    for (const auto& entry : split(lines[i], ',')) {
      std::string_view e = entry;
      while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
      while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
      if (IpAddress::parse(e) == address) found = true;
    }
  }
  FUZZ_CHECK(found);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::string_view rest = latchkey::fuzz::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_proxy(rest);
  } else {
    check_forwarded(rest);
  }
  return 0;
}
