#include "http/proxy_protocol.h"

#include <array>
#include <charconv>
#include <vector>

namespace latchkey::http {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};

ProxyParse invalid(std::string why) {
  ProxyParse p;
  p.status = ProxyParse::Status::kInvalid;
  p.error = std::move(why);
  return p;
}

ProxyParse done(ProxyHeader header) {
  ProxyParse p;
  p.status = ProxyParse::Status::kDone;
  p.header = std::move(header);
  return p;
}

bool starts_as(std::string_view bytes, std::string_view signature) {
  const std::size_t n = std::min(bytes.size(), signature.size());
  return bytes.substr(0, n) == signature.substr(0, n);
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

ProxyParse parse_v1(std::string_view bytes) {
  const std::size_t end = bytes.find("\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() >= kMaxProxyV1Bytes) return invalid("v1 line longer than 107 bytes");
    // A bare CR or LF before the end can never become a valid line.
    const auto stray = bytes.find_first_of("\r\n");
    if (stray != std::string_view::npos && stray + 1 < bytes.size()) {
      return invalid("v1 line with a stray CR or LF");
    }
    return {};
  }
  if (end + 2 > kMaxProxyV1Bytes) return invalid("v1 line longer than 107 bytes");
  if (bytes.substr(0, end).find_first_of("\r\n") != std::string_view::npos) {
    return invalid("v1 line with a stray CR or LF");
  }
  const std::string_view line = bytes.substr(kV1Signature.size(), end - kV1Signature.size());
  ProxyHeader header;
  header.version = 1;
  header.length = end + 2;
  // "UNKNOWN" may be followed by anything up to the CRLF (spec 2.1).
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return done(header);

  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (fields.size() < 6) {
    const std::size_t space = line.find(' ', at);
    fields.push_back(line.substr(at, space == std::string_view::npos ? space : space - at));
    if (space == std::string_view::npos) break;
    at = space + 1;
  }
  if (fields.size() != 5 || line.find(' ', at) != std::string_view::npos) {
    return invalid("v1 line needs exactly: protocol, two addresses, two ports");
  }
  const bool v4 = fields[0] == "TCP4";
  if (!v4 && fields[0] != "TCP6") return invalid("v1 protocol must be TCP4, TCP6 or UNKNOWN");
  // The family must be what the line says (an IPv4-mapped address in TCP6
  // is an IPv6 text form, so it is checked on the text).
  for (int i = 1; i <= 2; ++i) {
    const bool colon = fields[static_cast<std::size_t>(i)].find(':') != std::string_view::npos;
    if (colon == v4) return invalid("v1 address of the wrong family");
  }
  const auto source = IpAddress::parse(fields[1]);
  const auto destination = IpAddress::parse(fields[2]);
  const auto source_port = parse_port(fields[3]);
  const auto destination_port = parse_port(fields[4]);
  if (!source || !destination) return invalid("v1 address malformed");
  if (!source_port || !destination_port) return invalid("v1 port malformed");
  header.source = source;
  header.source_port = *source_port;
  return done(header);
}

ProxyParse parse_v2(std::string_view bytes) {
  if (bytes.size() < kProxyV2FixedBytes) return {};
  const auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  const std::uint8_t version_command = u(12);
  if ((version_command >> 4) != 2) return invalid("v2 version is not 2");
  const std::uint8_t command = version_command & 0x0f;
  if (command > 1) return invalid("v2 command is neither LOCAL nor PROXY");
  const std::uint8_t family = u(13) >> 4;
  const std::uint8_t transport = u(13) & 0x0f;
  const std::size_t length = (std::size_t{u(14)} << 8) | u(15);
  if (length > kMaxProxyV2Payload) return invalid("v2 header longer than the limit");
  if (bytes.size() < kProxyV2FixedBytes + length) return {};

  ProxyHeader header;
  header.version = 2;
  header.length = kProxyV2FixedBytes + length;
  if (family > 3 || transport > 2) return invalid("v2 unknown address family or transport");
  if (command == 0) return done(header);  // LOCAL: the proxy's own connection (health check)
  if (family == 0 || family == 3) return done(header);  // UNSPEC / UNIX: no IP source
  if (transport != 1) return invalid("v2 transport is not TCP");
  const std::string_view payload = bytes.substr(kProxyV2FixedBytes, length);
  const auto port_at = [&](std::size_t i) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[i]) << 8) |
                                      static_cast<std::uint8_t>(payload[i + 1]));
  };
  if (family == 1) {  // AF_INET: src 4, dst 4, src port 2, dst port 2, then TLVs
    if (length < 12) return invalid("v2 IPv4 addresses truncated");
    std::array<std::uint8_t, 4> a{};
    for (std::size_t i = 0; i < 4; ++i) a[i] = static_cast<std::uint8_t>(payload[i]);
    header.source = IpAddress::v4(a);
    header.source_port = port_at(8);
  } else {  // AF_INET6: src 16, dst 16, ports 2 + 2
    if (length < 36) return invalid("v2 IPv6 addresses truncated");
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(payload[i]);
    header.source = IpAddress::v6(a);
    header.source_port = port_at(32);
  }
  return done(header);
}

}  // namespace

ProxySignature detect_proxy_signature(std::string_view bytes) {
  if (bytes.empty()) return ProxySignature::kMaybe;
  const bool v1 = starts_as(bytes, kV1Signature);
  const bool v2 = starts_as(bytes, kV2Signature);
  if (!v1 && !v2) return ProxySignature::kNo;
  if ((v1 && bytes.size() >= kV1Signature.size()) || (v2 && bytes.size() >= kV2Signature.size())) {
    return ProxySignature::kYes;
  }
  return ProxySignature::kMaybe;
}

ProxyParse parse_proxy_header(std::string_view bytes) {
  switch (detect_proxy_signature(bytes)) {
    case ProxySignature::kNo:
      return invalid("no PROXY protocol signature");
    case ProxySignature::kMaybe:
      return {};
    case ProxySignature::kYes:
      break;
  }
  return bytes.starts_with(kV1Signature) ? parse_v1(bytes) : parse_v2(bytes);
}

}  // namespace latchkey::http
