// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2)
// that a TCP proxy sends before the client's bytes to say whom it relays.
//
// The parser is strict and bounded: a v1 line is at most 107 bytes
// ("PROXY TCP6 <ip> <ip> <port> <port>\r\n"), single spaces, addresses of
// the family it names, decimal ports 0-65535 without leading zeros; a v2
// header carries at most kMaxProxyV2Payload bytes after its 16-byte fixed
// part. v2 TLVs are skipped. LOCAL (v2) and UNKNOWN (v1) connections, and
// the AF_UNSPEC / AF_UNIX families, name no source: the TCP peer stays the
// client. UDP is refused. Whether a peer may send a header at all is the
// server's decision (trusted_proxies), not the parser's.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/cidr.h"

namespace latchkey::http {

inline constexpr std::size_t kMaxProxyV1Bytes = 107;
inline constexpr std::size_t kProxyV2FixedBytes = 16;
inline constexpr std::size_t kMaxProxyV2Payload = 1024;

struct ProxyHeader {
  std::size_t length = 0;           // bytes the header took; the client's bytes follow
  int version = 0;                  // 1 or 2
  std::optional<IpAddress> source;  // none: LOCAL / UNKNOWN / no IP family
  std::uint16_t source_port = 0;
};

struct ProxyParse {
  enum class Status { kIncomplete, kInvalid, kDone };
  Status status = Status::kIncomplete;
  ProxyHeader header;  // kDone
  std::string error;   // kInvalid: why, for the log
};

// Parses the header at the start of `bytes`. kIncomplete: not enough bytes
// yet (and none seen so far is wrong); never more than the bounds above.
ProxyParse parse_proxy_header(std::string_view bytes);

// Whether `bytes` start a PROXY header: kMaybe while every byte so far
// matches the start of a v1 or v2 signature.
enum class ProxySignature { kNo, kMaybe, kYes };
ProxySignature detect_proxy_signature(std::string_view bytes);

}  // namespace latchkey::http
