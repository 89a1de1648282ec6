// The receiving side without a transport (invalidation/receiver.h): each
// message kind maps to exactly the eviction or reload it needs; a node skips
// its own messages; unreadable payloads and lost subscriptions withdraw the
// cache trust, drop the caches, and trust returns only after a reload.
#include "invalidation/receiver.h"

#include <gtest/gtest.h>

#include "unit/invalidation/fake_local_state.h"

namespace latchkey::invalidation {
namespace {

std::string payload_of(std::string_view origin, const std::vector<Message>& messages) {
  auto p = encode(origin, messages);
  EXPECT_TRUE(p);
  EXPECT_EQ(p->size(), 1u);
  return p->front();
}

TEST(InvalidationApply, EachKindEvictsExactlyWhatItAffects) {
  const Digest d = digest_secret("a token");
  const std::string hex =
      hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  const struct {
    Message message;
    std::string call;
  } cases[] = {
      {Message::user_changed("usr_1"), "forget_user usr_1"},
      {Message::account_tokens_of_user("usr_2"), "forget_account_tokens_of_user usr_2"},
      {Message::account_token(d), "forget_account_token " + hex},
      {Message::api_key("key_3"), "forget_key key_3"},
      {Message::login_session("key_4", "s1", from_unix_millis(99)),
       "refuse_login_session key_4 s1 99"},
      {Message::revoked_jwt("jti_5", from_unix_millis(77)), "refuse_token_id jti_5 77"},
      {Message::policy(), "forget_policy"},
  };
  for (const auto& c : cases) {
    FakeLocalState state;
    apply(c.message, state);
    EXPECT_EQ(state.take(), std::vector<std::string>{c.call});
  }
  // The Receiver's (below): reloads, never on the way.
  for (const Message& m : {Message::resync(), Message::signing_keys()}) {
    FakeLocalState state;
    apply(m, state);
    EXPECT_TRUE(state.take().empty());
  }
}

class ReceiverTest : public ::testing::Test {
 protected:
  FakeLocalState state;
  CacheTrust trust;
  std::vector<std::pair<bool, std::string>> lines;
  Receiver receiver{state, trust, "me", [this](bool warning, std::string_view line) {
                      lines.emplace_back(warning, std::string(line));
                    }};
};

TEST_F(ReceiverTest, StartsDegradedUntilTheFirstSubscription) {
  EXPECT_FALSE(trust.trusted());
  EXPECT_TRUE(receiver.degraded());
  ASSERT_TRUE(receiver.on_subscribed());
  EXPECT_TRUE(trust.trusted());
  EXPECT_FALSE(receiver.degraded());
  // Reloaded first, then the caches dropped, then trusted.
  EXPECT_EQ(state.take(), (std::vector<std::string>{"reload_from_store", "drop_caches"}));
}

TEST_F(ReceiverTest, AppliesOtherNodesMessagesAndSkipsItsOwn) {
  ASSERT_TRUE(receiver.on_subscribed());
  state.take();
  receiver.on_payload(payload_of("other", {Message::api_key("k1"), Message::policy()}));
  receiver.on_payload(payload_of("me", {Message::api_key("k2")}));
  EXPECT_EQ(state.take(), (std::vector<std::string>{"forget_key k1", "forget_policy"}));
  EXPECT_EQ(receiver.stats().applied, 2u);
  EXPECT_EQ(receiver.stats().own_skipped, 1u);
  EXPECT_TRUE(trust.trusted());
}

TEST_F(ReceiverTest, AResyncOrSigningKeyMessageDegradesUntilTheTransportReloads) {
  for (const Message& m : {Message::resync(), Message::signing_keys()}) {
    ASSERT_TRUE(receiver.on_subscribed());
    state.take();
    receiver.on_payload(payload_of("recover-admin", {m}));
    // Degraded at once, the reload left to the transport (coalesced).
    EXPECT_FALSE(trust.trusted());
    EXPECT_TRUE(receiver.resync_pending());
    EXPECT_EQ(state.take(), std::vector<std::string>{"drop_caches"});
    state.fail_reloads = 1;  // a reload that fails leaves the node degraded, still owed
    EXPECT_FALSE(receiver.on_subscribed());
    EXPECT_FALSE(trust.trusted());
    EXPECT_TRUE(receiver.resync_pending());
    ASSERT_TRUE(receiver.on_subscribed());
    EXPECT_TRUE(trust.trusted());
    EXPECT_FALSE(receiver.resync_pending());
  }
}

// A reload (periodic or requested) withdraws the trust while it reads: a
// lookup meanwhile reads the store, not memory about to be replaced.
TEST_F(ReceiverTest, TheTrustIsWithdrawnDuringAReload) {
  ASSERT_TRUE(receiver.on_subscribed());
  struct Probe : FakeLocalState {
    CacheTrust* trust = nullptr;
    bool trusted_during = true;
    Status reload_from_store() override {
      trusted_during = trust->trusted();
      return FakeLocalState::reload_from_store();
    }
  };
  Probe probe;
  probe.trust = &trust;
  Receiver r(probe, trust, "me");
  ASSERT_TRUE(r.on_subscribed());
  ASSERT_TRUE(trust.trusted());
  ASSERT_TRUE(r.on_subscribed());  // the periodic one, while subscribed
  EXPECT_FALSE(probe.trusted_during);
  EXPECT_TRUE(trust.trusted());
}

TEST_F(ReceiverTest, ALostSubscriptionDropsTheCachesAtOnceAndLogsOnce) {
  ASSERT_TRUE(receiver.on_subscribed());
  state.take();
  receiver.on_lost("connection lost");
  EXPECT_FALSE(trust.trusted());
  EXPECT_EQ(state.take(), std::vector<std::string>{"drop_caches"});
  receiver.on_lost("cannot connect");  // while reconnecting: dropped again, not logged again
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].first);
  EXPECT_NE(lines[0].second.find("degraded (connection lost)"), std::string::npos);
  EXPECT_EQ(receiver.stats().degraded_entered, 1u);
  ASSERT_TRUE(receiver.on_subscribed());
  EXPECT_TRUE(trust.trusted());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_FALSE(lines[1].first);
}

TEST_F(ReceiverTest, AFailedReloadKeepsTheNodeDegraded) {
  state.fail_reloads = 1;
  EXPECT_FALSE(receiver.on_subscribed());
  EXPECT_FALSE(trust.trusted());
  ASSERT_TRUE(receiver.on_subscribed());
  EXPECT_TRUE(trust.trusted());
}

TEST_F(ReceiverTest, AnUnreadablePayloadCountsAsAMissedMessage) {
  ASSERT_TRUE(receiver.on_subscribed());
  state.take();
  receiver.on_payload("L2 other\nx something new\n");
  // Dropped at once, a reload owed: until it ran, nothing cached is served.
  EXPECT_EQ(state.take(), std::vector<std::string>{"drop_caches"});
  EXPECT_FALSE(trust.trusted());
  EXPECT_TRUE(receiver.resync_pending());
  receiver.on_payload("L2 other\nx again\n");  // a second one owes no second reload
  ASSERT_TRUE(receiver.on_subscribed());
  EXPECT_EQ(state.take(),
            (std::vector<std::string>{"drop_caches", "reload_from_store", "drop_caches"}));
  EXPECT_TRUE(trust.trusted());
  EXPECT_EQ(receiver.stats().refused, 2u);
  // The payload is never echoed into the log.
  for (const auto& [warning, line] : lines) {
    EXPECT_EQ(line.find("something new"), std::string::npos);
  }
}

}  // namespace
}  // namespace latchkey::invalidation
