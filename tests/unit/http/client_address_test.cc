#include "http/client_address.h"

#include <gtest/gtest.h>

namespace latchkey::http {
namespace {

CidrSet trusted(std::vector<std::string> blocks) { return CidrSet::parse(blocks).value(); }

Request with_xff(std::vector<std::string> values) {
  Request r;
  for (const auto& v : values) r.add_header("X-Forwarded-For", v);
  return r;
}

std::string client(const CidrSet& set, std::string_view peer, std::vector<std::string> xff) {
  return resolve_client_address(set, peer, with_xff(std::move(xff))).client;
}

// Test that X-Forwarded-For from an untrusted peer is ignored.
TEST(ClientAddress, UntrustedPeerIsTheClient) {
  const auto set = trusted({"10.0.0.0/8"});
  EXPECT_EQ(client(set, "203.0.113.7", {"198.51.100.1"}), "203.0.113.7");
  EXPECT_EQ(client(CidrSet{}, "127.0.0.1", {"198.51.100.1"}), "127.0.0.1");
  EXPECT_FALSE(resolve_client_address(set, "203.0.113.7", with_xff({"1.2.3.4"})).peer_trusted);
}

// Test that the chain is read right to left and trusted hops are skipped.
TEST(ClientAddress, FirstUntrustedFromTheRight) {
  const auto set = trusted({"10.0.0.0/8", "::1/128"});
  EXPECT_EQ(client(set, "10.0.0.1", {"198.51.100.1"}), "198.51.100.1");
  // A client-forged left part is never chosen over a real hop.
  EXPECT_EQ(client(set, "10.0.0.1", {"6.6.6.6, 198.51.100.1, 10.0.0.2"}), "198.51.100.1");
  // Several header fields form one list, in order.
  EXPECT_EQ(client(set, "10.0.0.1", {"6.6.6.6", "198.51.100.1", "10.1.1.1"}), "198.51.100.1");
  EXPECT_EQ(client(set, "::1", {"2001:db8::5"}), "2001:db8::5");
  // Every hop trusted: the leftmost is the origin.
  EXPECT_EQ(client(set, "10.0.0.1", {"10.0.0.3, 10.0.0.2"}), "10.0.0.3");
  // No header: the proxy itself.
  EXPECT_EQ(client(set, "10.0.0.1", {}), "10.0.0.1");
  EXPECT_TRUE(resolve_client_address(set, "10.0.0.1", with_xff({})).peer_trusted);
}

// Test that addresses come out canonical (mapped IPv4 as dotted quad).
TEST(ClientAddress, Canonical) {
  const auto set = trusted({"127.0.0.1/32"});
  EXPECT_EQ(client(set, "127.0.0.1", {" ::ffff:198.51.100.9 "}), "198.51.100.9");
  EXPECT_EQ(client(set, "127.0.0.1", {"2001:DB8:0:0::1"}), "2001:db8::1");
}

// Test that a malformed entry met on the way makes the peer the client.
TEST(ClientAddress, MalformedUsesThePeer) {
  const auto set = trusted({"10.0.0.0/8"});
  for (const char* bad : {"unknown", "198.51.100.1:443", "[2001:db8::1]", "", " , ",
                          "198.51.100.1 198.51.100.2", "1.2.3.4\t5", "x\x01y"}) {
    EXPECT_EQ(client(set, "10.0.0.1", {std::string(bad) + ", 10.0.0.2"}), "10.0.0.1") << bad;
  }
  // Malformed left of the client does not matter: the walk stops at it.
  EXPECT_EQ(client(set, "10.0.0.1", {"garbage, 198.51.100.1"}), "198.51.100.1");
}

// Test that only the 64 rightmost entries are read, so a client cannot pad
// a forged prefix until the address its proxy appended is out of reach.
TEST(ClientAddress, LongChainsAreReadFromTheRightOnly) {
  const auto set = trusted({"10.0.0.0/8"});
  std::string forged;
  for (int i = 0; i < 100; ++i) forged += "10.0.0.5, ";
  EXPECT_EQ(client(set, "10.0.0.1", {forged + "198.51.100.1"}), "198.51.100.1");
  EXPECT_EQ(client(set, "10.0.0.1", {forged + "198.51.100.1, 10.0.0.2"}), "198.51.100.1");
  // Only trusted hops as far as it is read: the 64th from the right.
  std::string trusted_only;
  for (int i = 0; i < 200; ++i) trusted_only += "10.0.0.5, ";
  trusted_only += "10.0.0.6";
  EXPECT_EQ(client(set, "10.0.0.1", {trusted_only}), "10.0.0.5");
}

}  // namespace
}  // namespace latchkey::http
