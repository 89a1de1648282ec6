#include "core/encoding.h"

#include <gtest/gtest.h>

#include <array>

namespace latchkey {
namespace {

// Test that base64 round-trips every tail length (RFC 4648 test vectors).
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain));
  }
}

// Test that the decoder refuses everything that is not canonical base64.
TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zm 9v", "Zh==", "Zm9=", "=Zm9",
                          "Zg==Zg==", "Zm9vYg=a", "\xff\xff\xff\xff"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

// Test that base62 keeps fixed width and the alphabet.
TEST(Base62, FixedWidth) {
  std::array<std::uint8_t, 32> zeros{};
  EXPECT_EQ(base62_encode(zeros, 43), std::string(43, '0'));
  std::array<std::uint8_t, 32> ones;
  ones.fill(0xff);
  const std::string max = base62_encode(ones, 43);
  EXPECT_EQ(max.size(), 43u);
  EXPECT_TRUE(is_base62(max));
  EXPECT_EQ(base62_encode_u64(61, 2), "0z");
  EXPECT_EQ(base62_encode_u64(62, 2), "10");
  EXPECT_FALSE(is_base62("ab_c"));
}

}  // namespace
}  // namespace latchkey
