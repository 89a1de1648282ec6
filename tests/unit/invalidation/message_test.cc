// The invalidation wire format (invalidation/message.h): every kind round
// trips, payloads stay under PostgreSQL's NOTIFY limit, and the parser
// refuses anything else without crashing (the channel is shared).
#include "invalidation/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace latchkey::invalidation {
namespace {

Instant at_ms(std::int64_t ms) { return from_unix_millis(ms); }

std::vector<Message> every_kind() {
  Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7);
  return {Message::user_changed("usr_1"),
          Message::account_tokens_of_user("usr_2"),
          Message::account_token(d),
          Message::api_key("key_3"),
          Message::login_session("key_4", "sess:a~b.c-d_e", at_ms(1'700'000'000'123)),
          Message::revoked_jwt("jti_5", at_ms(1'800'000'000'000)),
          Message::signing_keys(),
          Message::policy(),
          Message::resync()};
}

TEST(InvalidationMessage, EveryKindRoundTrips) {
  auto payloads = encode("node-a", every_kind());
  ASSERT_TRUE(payloads);
  ASSERT_EQ(payloads->size(), 1u);
  auto batch = parse(payloads->front());
  ASSERT_TRUE(batch) << batch.error().description;
  EXPECT_EQ(batch->origin, "node-a");
  EXPECT_EQ(batch->messages, every_kind());
}

TEST(InvalidationMessage, TheWireFormatIsTheDocumentedOne) {
  auto payloads = encode("n1", {Message::user_changed("usr_x"),
                                Message::revoked_jwt("jti_y", at_ms(42)), Message::policy()});
  ASSERT_TRUE(payloads);
  EXPECT_EQ(payloads->front(), "L1 n1\nu usr_x\nj jti_y 42\np\n");
}

TEST(InvalidationMessage, FieldsArePercentEncodedAndDecoded) {
  auto clean = encode("n", {Message::user_changed("a b/%\xc3\xa9")});
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->front(), "L1 n\nu a%20b%2F%25%C3%A9\n");
  auto back = parse(clean->front());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->messages.front().subject, "a b/%\xc3\xa9");
  // A control byte is escaped by the encoder and refused by the parser:
  // ids never contain one.
  auto control = encode("n", {Message::user_changed("a\nb")});
  ASSERT_TRUE(control);
  EXPECT_EQ(control->front(), "L1 n\nu a%0Ab\n");
  EXPECT_FALSE(parse(control->front()));
}

TEST(InvalidationMessage, ABatchSplitsUnderTheNotifyLimitAndKeepsOrder) {
  std::vector<Message> many;
  for (int i = 0; i < 2000; ++i)
    many.push_back(Message::account_tokens_of_user("usr_" + std::to_string(i)));
  auto payloads = encode("node", many);
  ASSERT_TRUE(payloads);
  EXPECT_GT(payloads->size(), 1u);
  std::vector<Message> back;
  for (const std::string& p : *payloads) {
    EXPECT_LE(p.size(), kMaxPayloadBytes);
    EXPECT_LT(p.size(), 8000u);
    auto batch = parse(p);
    ASSERT_TRUE(batch) << batch.error().description;
    back.insert(back.end(), batch->messages.begin(), batch->messages.end());
  }
  EXPECT_EQ(back, many);
}

TEST(InvalidationMessage, DuplicatesInOnePayloadAreSentOnce) {
  auto payloads = encode("n", {Message::policy(), Message::api_key("k"), Message::policy()});
  ASSERT_TRUE(payloads);
  EXPECT_EQ(payloads->front(), "L1 n\np\nk k\n");
}

TEST(InvalidationMessage, OverlongOrEmptyFieldsAreNotEncodable) {
  EXPECT_FALSE(encode("n", {Message::user_changed(std::string(257, 'x'))}));
  EXPECT_FALSE(encode("n", {Message::user_changed("")}));
  EXPECT_FALSE(encode("", {Message::policy()}));
  EXPECT_TRUE(encode("n", {}));
  EXPECT_TRUE(encode("n", {})->empty());
}

TEST(InvalidationMessage, GarbageIsRefused) {
  const std::string digest(64, 'a');
  const std::vector<std::string> cases = {
      "",                                         // empty
      "L1 n\n",                                   // no message
      "L1 n\nu x",                                // not newline-terminated
      "L2 n\nu x\n",                              // newer version
      "X1 n\nu x\n",                              // no header
      "L1 \nu x\n",                               // empty origin
      "L1 n\nq x\n",                              // unknown kind
      "L1 n\nuu x\n",                             // kind of two letters
      "L1 n\nu\n",                                // missing field
      "L1 n\nu x y\n",                            // extra field
      "L1 n\nu  x\n",                             // empty field
      "L1 n\nu x \n",                             // trailing empty field
      "L1 n\ng x\n",                              // field where none belongs
      "L1 n\nu x%\n",                             // truncated escape
      "L1 n\nu x%4\n",                            // truncated escape
      "L1 n\nu x%zz\n",                           // bad escape
      "L1 n\nu x%0A\n",                           // control byte
      "L1 n\nu x%7F\n",                           // DEL
      "L1 n\nu x/y\n",                            // unescaped byte
      "L1 n\nu x\ty\n",                           // unescaped tab
      "L1 n\nt abc\n",                            // short digest
      "L1 n\nt " + std::string(64, 'A') + "\n",   // upper-case digest
      "L1 n\nt " + std::string(63, 'a') + "g\n",  // not hex
      "L1 n\nj jti 12a\n",                        // bad number
      "L1 n\nj jti -5\n",                         // negative
      "L1 n\nj jti +5\n",                         // signed
      "L1 n\nj jti 1234567890123456\n",           // 16 digits
      "L1 n\nj jti\n",                            // missing expiry
      "L1 n\ns k sess\n",                         // missing expiry
      "L1 n\nu " + std::string(257, 'x') + "\n",  // field too long
      "L1 n\nu x\n\n",                            // empty line
      "L1 n\nt " + digest + "\nu x\nz\n",         // one bad line spoils all
  };
  for (const std::string& bad : cases) {
    EXPECT_FALSE(parse(bad)) << "accepted: " << bad;
  }
  EXPECT_FALSE(parse("L1 n\n" + std::string(kMaxPayloadBytes, 'p')));
}

TEST(InvalidationMessage, RandomBytesNeverCrashTheParser) {
  std::mt19937 gen(12);
  const std::string valid = encode("node", every_kind())->front();
  for (int i = 0; i < 20000; ++i) {
    std::string p = valid;
    // Flip, insert or cut a few bytes of a valid payload.
    const int edits = 1 + static_cast<int>(gen() % 4);
    for (int e = 0; e < edits && !p.empty(); ++e) {
      const std::size_t at = gen() % p.size();
      switch (gen() % 3) {
        case 0:
          p[at] = static_cast<char>(gen() % 256);
          break;
        case 1:
          p.insert(p.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(gen() % 256));
          break;
        default:
          p.erase(at, 1 + gen() % 8);
          break;
      }
    }
    auto batch = parse(p);
    if (batch) {
      // Whatever is accepted re-encodes to a payload that parses the same.
      auto again = encode(batch->origin, batch->messages);
      ASSERT_TRUE(again);
      ASSERT_EQ(again->size(), 1u);
      auto reparsed = parse(again->front());
      ASSERT_TRUE(reparsed);
      // The same messages (a payload says each once).
      for (const Message& m : batch->messages) {
        EXPECT_NE(std::find(reparsed->messages.begin(), reparsed->messages.end(), m),
                  reparsed->messages.end());
      }
      EXPECT_LE(reparsed->messages.size(), batch->messages.size());
    }
  }
}

TEST(InvalidationMessage, DigestOfAnAccountTokenMessage) {
  const Digest d = digest_secret("some token");
  const Message m = Message::account_token(d);
  EXPECT_EQ(m.subject.size(), 64u);
  ASSERT_TRUE(digest_of(m));
  EXPECT_EQ(*digest_of(m), d);
  EXPECT_FALSE(digest_of(Message::user_changed("usr")));
}

}  // namespace
}  // namespace latchkey::invalidation
