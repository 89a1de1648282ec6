#include "core/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace latchkey {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped(const std::array<std::uint8_t, 16>& b) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), b.begin());
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // Longest IPv6 text form is 45 characters; inet_pton needs a C string.
  if (text.empty() || text.size() > 45) return std::nullopt;
  // inet_pton stops at a NUL and accepts what came before it.
  for (const char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == '.' || c == ':';
    if (!ok) return std::nullopt;
  }
  // On the stack: the origin check parses every restricted request's
  // client address (docs/origin-restrictions.md).
  char z[46];
  std::copy(text.begin(), text.end(), z);
  z[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    std::array<std::uint8_t, 4> b{};
    // inet_pton(AF_INET) takes exactly four decimal octets, and glibc's
    // refuses leading zeros ("010.0.0.1" would be octal elsewhere).
    if (inet_pton(AF_INET, z, b.data()) != 1) return std::nullopt;
    return v4(b);
  }
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, z, b.data()) != 1) return std::nullopt;
  return v6(b);
}

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  a.v4_ = true;
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  if (is_mapped(bytes)) return v4({bytes[12], bytes[13], bytes[14], bytes[15]});
  IpAddress a;
  a.bytes_ = bytes;
  a.v4_ = false;
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return fail(Error::invalid_request("\"" + std::string(text) + "\" is not a CIDR block (" +
                                       std::string(why) + ")"));
  };
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return bad("bad address");
  const bool v6_text = text.substr(0, slash).find(':') != std::string_view::npos;
  const int max_prefix = v6_text ? 128 : 32;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    // Decimal digits only: from_chars would take a sign ("-0" is 0).
    const bool all_digits =
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits.empty() || digits.size() > 3 || !all_digits ||
        (digits.size() > 1 && digits[0] == '0')) {
      return bad("bad prefix length");
    }
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return bad("bad prefix length");
    if (prefix < 0 || prefix > max_prefix) {
      return bad("prefix length above " + std::to_string(max_prefix));
    }
  }
  Cidr cidr;
  cidr.network_ = *address;
  cidr.prefix_ = prefix;
  // An IPv4-mapped block (::ffff:10.0.0.0/104) names IPv4 addresses.
  if (address->is_v4() && v6_text) {
    if (prefix < 96) return bad("an IPv4-mapped block needs a prefix of at least 96");
    cidr.prefix_ = prefix - 96;
  }
  // Host bits below the prefix must be zero: "10.0.0.1/8" would not be what
  // it says.
  const auto& b = address->bytes();
  const int bits = address->is_v4() ? 32 : 128;
  for (int i = cidr.prefix_; i < bits; ++i) {
    if (b[static_cast<std::size_t>(i / 8)] & (0x80 >> (i % 8))) return bad("host bits set");
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.is_v4() != network_.is_v4()) return false;
  const auto& a = address.bytes();
  const auto& n = network_.bytes();
  const int whole = prefix_ / 8;
  for (int i = 0; i < whole; ++i) {
    if (a[static_cast<std::size_t>(i)] != n[static_cast<std::size_t>(i)]) return false;
  }
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[static_cast<std::size_t>(whole)] & mask) == (n[static_cast<std::size_t>(whole)] & mask);
}

std::string Cidr::to_string() const { return network_.to_string() + "/" + std::to_string(prefix_); }

Result<CidrSet> CidrSet::parse(const std::vector<std::string>& texts) {
  CidrSet set;
  set.blocks_.reserve(texts.size());
  for (const std::string& text : texts) {
    auto cidr = Cidr::parse(text);
    if (!cidr) return fail(cidr.error());
    set.blocks_.push_back(*cidr);
  }
  return set;
}

bool CidrSet::contains(const IpAddress& address) const {
  return std::any_of(blocks_.begin(), blocks_.end(),
                     [&](const Cidr& c) { return c.contains(address); });
}

bool CidrSet::contains(std::string_view address) const {
  if (blocks_.empty()) return false;
  const auto parsed = IpAddress::parse(address);
  return parsed && contains(*parsed);
}

std::string origin_block(std::string_view address) {
  const auto parsed = IpAddress::parse(address);
  if (!parsed) return std::string(address);
  if (parsed->is_v4()) return parsed->to_string();
  std::array<std::uint8_t, 16> network = parsed->bytes();
  std::fill(network.begin() + 8, network.end(), std::uint8_t{0});  // keep the /64
  return IpAddress::v6(network).to_string() + "/64";
}

}  // namespace latchkey
