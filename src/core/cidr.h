// IP addresses and CIDR blocks, parsed strictly, for deciding whether a peer
// belongs to a configured set (trusted_proxies; per-key origin CIDRs).
//
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack socket
// reports for an IPv4 peer) is the IPv4 address: it matches IPv4 blocks and
// prints as dotted quad.
//
// Thread-safety: values; a const CidrSet is safe to read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace latchkey {

class IpAddress {
 public:
  // "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1". No brackets, zone ids,
  // ports, leading zeros in IPv4 octets or surrounding spaces: nullopt.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);  // mapped -> IPv4

  bool is_v4() const { return v4_; }
  // 4 significant bytes for IPv4, 16 for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;  // canonical (RFC 5952 for IPv6)

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  bool v4_ = true;
};

class Cidr {
 public:
  // "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128). Host bits
  // set below the prefix ("10.0.0.1/8") are an error: the block would not
  // be what it says.
  static Result<Cidr> parse(std::string_view text);

  bool contains(const IpAddress& address) const;
  std::string to_string() const;

 private:
  IpAddress network_;
  int prefix_ = 0;
};

// The origin an address counts as when distinct origins are counted (the
// token-interference alarm): an IPv4 address is its own origin (a /32); an
// IPv6 address counts as its /64, "2001:db8:1:2::/64", the network one host
// keeps while its privacy (temporary) addresses rotate. An IPv4-mapped IPv6
// address is its IPv4 address. Text that does not parse is its own origin.
std::string origin_block(std::string_view address);

class CidrSet {
 public:
  // Every entry must parse; the error names the first that does not.
  static Result<CidrSet> parse(const std::vector<std::string>& texts);

  bool empty() const { return blocks_.empty(); }
  bool contains(const IpAddress& address) const;
  // Unparseable text is never contained.
  bool contains(std::string_view address) const;
  const std::vector<Cidr>& blocks() const { return blocks_; }

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace latchkey
