#include "events/webhook_signature.h"

#include <gtest/gtest.h>

#include "events/webhook_payload.h"

namespace latchkey::events {
namespace {

// Test that the HMAC is RFC 4231's test case 2 ("Jefe"), so any receiver's
// HMAC-SHA256 agrees with ours.
TEST(WebhookSignature, HmacMatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Test that the header is t=<seconds>,v1=<hex HMAC of "<t>.<body>">.
TEST(WebhookSignature, SignsTimestampAndBody) {
  const std::string header = webhook_signature("whsec-test", 1795000000, R"({"a":1})");
  EXPECT_EQ(header, "t=1795000000,v1=" + hmac_sha256_hex("whsec-test", R"(1795000000.{"a":1})"));
}

// Test that verification accepts the right secret and body within the
// tolerance, and refuses another secret, a changed body, a stale or future
// timestamp and malformed headers.
TEST(WebhookSignature, VerificationRefusesTamperingAndStaleTimestamps) {
  const std::string body = R"({"id":"evt_1"})";
  const std::string header = webhook_signature("s3cret-value", 1000, body);
  EXPECT_TRUE(verify_webhook_signature(header, "s3cret-value", body, 1000));
  EXPECT_TRUE(verify_webhook_signature(header, "s3cret-value", body, 1300));
  EXPECT_FALSE(verify_webhook_signature(header, "s3cret-value", body, 1301));
  EXPECT_FALSE(verify_webhook_signature(header, "s3cret-value", body, 699));
  EXPECT_FALSE(verify_webhook_signature(header, "other-secret", body, 1000));
  EXPECT_FALSE(verify_webhook_signature(header, "s3cret-value", body + " ", 1000));
  EXPECT_FALSE(verify_webhook_signature("t=1000", "s3cret-value", body, 1000));
  EXPECT_FALSE(verify_webhook_signature("v1=00", "s3cret-value", body, 1000));
  EXPECT_FALSE(verify_webhook_signature("", "s3cret-value", body, 1000));
  EXPECT_FALSE(verify_webhook_signature("t=x,v1=00", "s3cret-value", body, 1000));
  // A replayed delivery with its timestamp moved forward: the MAC no longer fits.
  const std::string moved = "t=2000" + header.substr(header.find(','));
  EXPECT_FALSE(verify_webhook_signature(moved, "s3cret-value", body, 2000));
}

// Test that the body has the documented shape and order.
TEST(WebhookPayload, BodyShape) {
  Event event;
  event.type = EventType::kKeyCreated;
  event.occurred_at = from_unix_millis(1'795'000'000'000);
  event.data = {{"key_id", "key_1"}, {"user_id", "usr_1"}, {"name", "ci \"main\""}};
  const std::string data = data_json(event);
  EXPECT_EQ(data, R"({"key_id":"key_1","user_id":"usr_1","name":"ci \"main\""})");
  EXPECT_EQ(webhook_body("evt_1", "key.created", event.occurred_at, data),
            R"({"id":"evt_1","type":"key.created","occurred_at":")" +
                format_rfc3339(event.occurred_at) + R"(","data":)" + data + "}");
  EXPECT_EQ(webhook_body("evt_1", "key.created", event.occurred_at, "not json"),
            R"({"id":"evt_1","type":"key.created","occurred_at":")" +
                format_rfc3339(event.occurred_at) + R"(","data":{}})");
}

}  // namespace
}  // namespace latchkey::events
