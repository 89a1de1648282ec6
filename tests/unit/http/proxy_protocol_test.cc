#include "http/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace latchkey::http {
namespace {

using Status = ProxyParse::Status;

const std::string kV2Sig("\r\n\r\n\0\r\nQUIT\n", 12);

std::string v2(std::uint8_t version_command, std::uint8_t family, const std::string& payload) {
  std::string out = kV2Sig;
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>(payload.size() >> 8));
  out.push_back(static_cast<char>(payload.size() & 0xff));
  return out + payload;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out.push_back(static_cast<char>(b));
  return out;
}

// Test a v1 TCP4 and TCP6 line, with the client's bytes after it.
TEST(ProxyProtocol, V1) {
  const std::string line = "PROXY TCP4 198.51.100.7 10.0.0.1 51234 443\r\n";
  const auto p = parse_proxy_header(line + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(p.status, Status::kDone) << p.error;
  EXPECT_EQ(p.header.version, 1);
  EXPECT_EQ(p.header.length, line.size());
  ASSERT_TRUE(p.header.source);
  EXPECT_EQ(p.header.source->to_string(), "198.51.100.7");
  EXPECT_EQ(p.header.source_port, 51234);

  const auto p6 = parse_proxy_header("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n");
  ASSERT_EQ(p6.status, Status::kDone) << p6.error;
  EXPECT_EQ(p6.header.source->to_string(), "2001:db8::7");
  EXPECT_EQ(p6.header.source_port, 65535);
}

// Test that UNKNOWN names no source (the TCP peer stays the client).
TEST(ProxyProtocol, V1Unknown) {
  for (const char* line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
    const auto p = parse_proxy_header(line);
    ASSERT_EQ(p.status, Status::kDone) << line;
    EXPECT_FALSE(p.header.source);
    EXPECT_EQ(p.header.length, std::string(line).size());
  }
}

// Test that every prefix of a valid header is incomplete, never invalid.
TEST(ProxyProtocol, PrefixesAreIncomplete) {
  const std::string v1 = "PROXY TCP4 198.51.100.7 10.0.0.1 51234 443\r\n";
  for (std::size_t n = 0; n < v1.size(); ++n) {
    EXPECT_EQ(parse_proxy_header(v1.substr(0, n)).status, Status::kIncomplete) << n;
  }
  const std::string h = v2(0x21, 0x11, bytes({198, 51, 100, 7, 10, 0, 0, 1, 0xc8, 0x22, 1, 187}));
  for (std::size_t n = 0; n < h.size(); ++n) {
    EXPECT_EQ(parse_proxy_header(h.substr(0, n)).status, Status::kIncomplete) << n;
  }
}

// Test that malformed v1 lines are refused.
TEST(ProxyProtocol, V1Malformed) {
  for (const char* line : {
           "PROXY TCP4 198.51.100.7 10.0.0.1 51234\r\n",        // a port missing
           "PROXY TCP4 198.51.100.7 10.0.0.1 51234 443 9\r\n",  // a field too many
           "PROXY TCP4  198.51.100.7 10.0.0.1 51234 443\r\n",   // double space
           "PROXY TCP4 198.51.100.7 10.0.0.1 51234 443 \r\n",   // trailing space
           "PROXY TCP4 2001:db8::7 10.0.0.1 51234 443\r\n",     // wrong family
           "PROXY TCP6 198.51.100.7 2001:db8::1 1 2\r\n",       // wrong family
           "PROXY TCP4 198.51.100.300 10.0.0.1 51234 443\r\n",  // bad octet
           "PROXY TCP4 198.51.100.7 10.0.0.1 65536 443\r\n",    // port too large
           "PROXY TCP4 198.51.100.7 10.0.0.1 051234 443\r\n",   // leading zero
           "PROXY TCP4 198.51.100.7 10.0.0.1 -1 443\r\n",       // sign
           "PROXY UDP4 198.51.100.7 10.0.0.1 1 2\r\n",          // not TCP
           "PROXY tcp4 198.51.100.7 10.0.0.1 1 2\r\n",          // case
           "PROXY TCP4 198.51.100.7 10.0.0.1 1 2\n",            // bare LF ... then more
           "PROXY TCP4 198.51.100.7\r10.0.0.1 1 2\r\n",         // stray CR
       }) {
    const auto p = parse_proxy_header(std::string(line) + "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(p.status, Status::kInvalid) << line;
  }
  // A NUL inside an address is not cut off by inet_pton.
  EXPECT_EQ(parse_proxy_header(std::string("PROXY TCP4 1.2.3.4\0x 10.0.0.1 1 2\r\n", 36)).status,
            Status::kInvalid);
}

// Test the 107-byte bound of v1: a longer line without CRLF is refused
// before its end arrives.
TEST(ProxyProtocol, V1Bounded) {
  const std::string addresses =
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535";
  EXPECT_EQ(parse_proxy_header("PROXY TCP6 " + addresses + "\r\n").status, Status::kDone);
  // The specification's worst case.
  const std::string longest = "PROXY UNKNOWN " + addresses + "\r\n";
  ASSERT_EQ(longest.size(), kMaxProxyV1Bytes);
  EXPECT_EQ(parse_proxy_header(longest).status, Status::kDone);
  EXPECT_EQ(parse_proxy_header("PROXY UNKNOWN " + std::string(200, 'a')).status, Status::kInvalid);
  EXPECT_EQ(parse_proxy_header("PROXY UNKNOWN " + std::string(92, 'a') + "\r\n").status,
            Status::kInvalid);  // 108 bytes
  EXPECT_EQ(parse_proxy_header("PROXY UNKNOWN " + std::string(91, 'a') + "\r\n").status,
            Status::kDone);  // 107 bytes
}

// Test v2 PROXY over IPv4 and IPv6, with TLVs skipped and client bytes after.
TEST(ProxyProtocol, V2) {
  const std::string tlv = bytes({0x01, 0x00, 0x02, 'h', '2'});  // ALPN TLV
  const std::string h4 =
      v2(0x21, 0x11, bytes({198, 51, 100, 7, 10, 0, 0, 1, 0xc8, 0x22, 1, 187}) + tlv);
  const auto p = parse_proxy_header(h4 + "\x16\x03\x01");  // a TLS ClientHello follows
  ASSERT_EQ(p.status, Status::kDone) << p.error;
  EXPECT_EQ(p.header.version, 2);
  EXPECT_EQ(p.header.length, h4.size());
  EXPECT_EQ(p.header.source->to_string(), "198.51.100.7");
  EXPECT_EQ(p.header.source_port, 0xc822);

  std::string addresses6(36, '\0');
  addresses6[0] = static_cast<char>(0x20);
  addresses6[1] = static_cast<char>(0x01);
  addresses6[2] = static_cast<char>(0x0d);
  addresses6[3] = static_cast<char>(0xb8);
  addresses6[15] = 7;
  addresses6[32] = 1;
  const auto p6 = parse_proxy_header(v2(0x21, 0x21, addresses6));
  ASSERT_EQ(p6.status, Status::kDone) << p6.error;
  EXPECT_EQ(p6.header.source->to_string(), "2001:db8::7");
  EXPECT_EQ(p6.header.source_port, 256);
}

// Test v2 LOCAL (a proxy's health check) and address families without an
// IP source: the TCP peer stays the client.
TEST(ProxyProtocol, V2LocalAndNoAddress) {
  for (const std::string& h : {v2(0x20, 0x00, ""), v2(0x20, 0x11, std::string(12, '\x01')),
                               v2(0x21, 0x00, ""), v2(0x21, 0x31, std::string(216, 'p'))}) {
    const auto p = parse_proxy_header(h);
    ASSERT_EQ(p.status, Status::kDone) << p.error;
    EXPECT_FALSE(p.header.source);
    EXPECT_EQ(p.header.length, h.size());
  }
}

// Test that malformed v2 headers are refused.
TEST(ProxyProtocol, V2Malformed) {
  const std::string a4 = bytes({198, 51, 100, 7, 10, 0, 0, 1, 0, 1, 0, 2});
  EXPECT_EQ(parse_proxy_header(v2(0x11, 0x11, a4)).status, Status::kInvalid);  // version 1
  EXPECT_EQ(parse_proxy_header(v2(0x22, 0x11, a4)).status, Status::kInvalid);  // command 2
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x12, a4)).status, Status::kInvalid);  // UDP
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x41, a4)).status, Status::kInvalid);  // family 4
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, a4.substr(0, 11))).status, Status::kInvalid);
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x21, std::string(35, '\0'))).status, Status::kInvalid);
  // Longer than the bound: refused from the fixed part alone.
  std::string huge = kV2Sig + bytes({0x21, 0x11, 0xff, 0xff});
  EXPECT_EQ(parse_proxy_header(huge).status, Status::kInvalid);
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, a4 + std::string(kMaxProxyV2Payload, 'x'))).status,
            Status::kInvalid);
  EXPECT_EQ(
      parse_proxy_header(v2(0x21, 0x11, a4 + std::string(kMaxProxyV2Payload - 12, 'x'))).status,
      Status::kDone);
}

// Test that what is not a PROXY header is refused by the parser and told
// apart by the signature check (HTTP, TLS).
TEST(ProxyProtocol, Signature) {
  EXPECT_EQ(parse_proxy_header("GET / HTTP/1.1\r\n").status, Status::kInvalid);
  EXPECT_EQ(parse_proxy_header("PROXZ").status, Status::kInvalid);
  EXPECT_EQ(detect_proxy_signature("GET /"), ProxySignature::kNo);
  EXPECT_EQ(detect_proxy_signature("POST /"), ProxySignature::kNo);
  EXPECT_EQ(detect_proxy_signature("\x16\x03\x01"), ProxySignature::kNo);
  EXPECT_EQ(detect_proxy_signature("P"), ProxySignature::kMaybe);
  EXPECT_EQ(detect_proxy_signature("PROXY"), ProxySignature::kMaybe);
  EXPECT_EQ(detect_proxy_signature("PROXY "), ProxySignature::kYes);
  EXPECT_EQ(detect_proxy_signature(kV2Sig.substr(0, 5)), ProxySignature::kMaybe);
  EXPECT_EQ(detect_proxy_signature(kV2Sig), ProxySignature::kYes);
  EXPECT_EQ(detect_proxy_signature("\r\n\r\nX"), ProxySignature::kNo);
}

}  // namespace
}  // namespace latchkey::http
