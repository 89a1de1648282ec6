// Store conformance for origin restrictions and the token-interference
// alarm (migration 13; docs/origin-restrictions.md): allowed origins of
// users and keys, and Store::issue_watched_account_token's counting in the
// issuance's transaction. Runs on every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include "store/key_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

const InterferenceRule kRule{.threshold = 5, .window = std::chrono::hours(1)};

ApiKey key_of(std::string_view id, std::string_view user_id, const Digest& digest, Instant now) {
  ApiKey key;
  key.id = std::string(id);
  key.user_id = std::string(user_id);
  key.name = "ci";
  key.digest = digest;
  key.masked = "••••a1B9";
  key.created_at = now;
  key.expires_at = now + std::chrono::hours(24);
  return key;
}

// Test that a user's allowed origins are stored, read back by id, name and
// in the list, survive a reopen, and are cleared by an empty list; an
// unknown user is kNotFound.
TEST_P(StoreConformanceTest, UserAllowedOriginsRoundTripAndClear) {
  make_user("alice");
  make_user("bob");
  const std::vector<std::string> cidrs = {"10.0.0.0/8", "2001:db8::/32"};
  auto set = store_->set_user_allowed_origins("usr_alice", cidrs, clock_.now());
  ASSERT_TRUE(set) << set.error().description;
  EXPECT_EQ(set->allowed_origins, cidrs);
  reopen();
  auto by_id = store_->get_user("usr_alice");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->allowed_origins, cidrs);
  auto by_name = store_->find_user_by_name("alice");
  ASSERT_TRUE(by_name && by_name->has_value());
  EXPECT_EQ((*by_name)->allowed_origins, cidrs);
  auto listed = store_->list_users();
  ASSERT_TRUE(listed);
  for (const User& u : *listed) {
    EXPECT_EQ(u.allowed_origins, u.id == "usr_alice" ? cidrs : std::vector<std::string>{});
  }
  ASSERT_TRUE(store_->set_user_allowed_origins("usr_alice", {}, clock_.now()));
  EXPECT_TRUE(store_->get_user("usr_alice")->allowed_origins.empty());
  auto missing = store_->set_user_allowed_origins("usr_nobody", cidrs, clock_.now());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Test that a key's allowed origins are stored at insert and by
// set_key_allowed_origins, read back by id, digest and listing, survive a
// reopen, and are cleared by an empty list; an unknown key gives nullopt.
TEST_P(StoreConformanceTest, KeyAllowedOriginsRoundTripAndClear) {
  make_user("alice");
  const Digest digest = random_digest();
  ApiKey key = key_of("key_o", "usr_alice", digest, clock_.now());
  key.allowed_origins = {"192.0.2.0/24"};
  ASSERT_TRUE(store_->keys().insert_key(key));
  auto found = store_->keys().find_key_by_digest(digest);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->allowed_origins, std::vector<std::string>{"192.0.2.0/24"});

  const std::vector<std::string> cidrs = {"::1/128", "127.0.0.1/32"};
  auto set = store_->keys().set_key_allowed_origins("key_o", cidrs);
  ASSERT_TRUE(set && set->has_value());
  EXPECT_EQ((*set)->allowed_origins, cidrs);
  reopen();
  auto listed = store_->keys().list_keys();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().allowed_origins, cidrs);
  ASSERT_TRUE(store_->keys().set_key_allowed_origins("key_o", {}));
  auto cleared = store_->keys().find_key("key_o");
  ASSERT_TRUE(cleared && cleared->has_value());
  EXPECT_TRUE((*cleared)->allowed_origins.empty());
  auto unknown = store_->keys().set_key_allowed_origins("key_nope", cidrs);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
}

// Test that the alarm is raised by the N+1-th issuance within the window
// from two addresses and not by the N-th, exactly once per window while the
// burst goes on, again after a window without an alarm, and that the state
// survives a reopen.
TEST_P(StoreConformanceTest, InterferenceAlarmAtNPlusOneOncePerWindow) {
  make_user("alice");
  for (int i = 1; i <= 5; ++i) {
    AccountToken token = new_token("usr_alice");
    token.issuer_ip = i % 2 ? "192.0.2.1" : "2001:db8::7";
    auto issued = store_->issue_watched_account_token(token, kRule);
    ASSERT_TRUE(issued) << issued.error().description;
    EXPECT_FALSE(issued->has_value()) << "issuance " << i;
    clock_.advance(std::chrono::minutes(1));
  }
  auto none = store_->find_token_interference("usr_alice");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  const Instant sixth_at = clock_.now();
  AccountToken sixth = new_token("usr_alice", "cli_b");
  auto alarm = store_->issue_watched_account_token(sixth, kRule);
  ASSERT_TRUE(alarm && alarm->has_value());
  EXPECT_EQ((*alarm)->regenerations, 6);
  EXPECT_EQ((*alarm)->origins,
            (std::vector<std::string>{"192.0.2.1", "192.0.2.10", "2001:db8::/64"}));
  EXPECT_EQ((*alarm)->client_id, "cli_b");
  EXPECT_EQ((*alarm)->alarmed_at, sixth_at);
  EXPECT_EQ((*alarm)->first_seen, sixth_at - std::chrono::minutes(5));
  EXPECT_EQ((*alarm)->alarms, 1);

  // The burst goes on within the hour: counted, no second alarm.
  clock_.advance(std::chrono::minutes(1));
  auto again = store_->issue_watched_account_token(new_token("usr_alice"), kRule);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  reopen();
  auto state = store_->find_token_interference("usr_alice");
  ASSERT_TRUE(state && state->has_value());
  EXPECT_EQ((*state)->regenerations, 7);
  EXPECT_EQ((*state)->alarms, 1);
  EXPECT_EQ((*state)->last_seen, clock_.now());

  // A window later, the burst still going (6 more in the next hour): one
  // more alarm, the episode's first sighting kept.
  for (int i = 0; i < 6; ++i) {
    clock_.advance(std::chrono::minutes(10));
    AccountToken token = new_token("usr_alice");
    token.issuer_ip = i % 2 ? "192.0.2.1" : "192.0.2.2";
    auto issued = store_->issue_watched_account_token(token, kRule);
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->has_value(), i == 5) << i;
  }
  state = store_->find_token_interference("usr_alice");
  ASSERT_TRUE(state && state->has_value());
  EXPECT_EQ((*state)->alarms, 2);
  EXPECT_EQ((*state)->first_seen, sixth_at - std::chrono::minutes(5));
}

// Test that one origin never raises the alarm however often it issues, that
// issuances older than the window do not count, that issue_account_token()
// never alarms, and that threshold 0 turns the alarm off.
TEST_P(StoreConformanceTest, InterferenceNeedsTwoOriginsWithinTheWindow) {
  make_user("alice");
  make_user("bob");
  for (int i = 0; i < 20; ++i) {
    auto issued = store_->issue_watched_account_token(new_token("usr_alice"), kRule);
    ASSERT_TRUE(issued);
    EXPECT_FALSE(issued->has_value());
  }
  // Five from two addresses, then an hour passes: the sixth starts afresh.
  for (int i = 0; i < 5; ++i) {
    AccountToken token = new_token("usr_bob");
    token.issuer_ip = i % 2 ? "192.0.2.1" : "192.0.2.2";
    ASSERT_TRUE(store_->issue_watched_account_token(token, kRule));
  }
  clock_.advance(std::chrono::hours(1));
  AccountToken late = new_token("usr_bob");
  late.issuer_ip = "192.0.2.3";
  auto issued = store_->issue_watched_account_token(late, kRule);
  ASSERT_TRUE(issued);
  EXPECT_FALSE(issued->has_value());
  // Plain issuances count but never alarm; threshold 0 never alarms.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store_->issue_account_token(new_token("usr_bob")));
  AccountToken off = new_token("usr_bob");
  off.issuer_ip = "192.0.2.4";
  auto disabled = store_->issue_watched_account_token(off, InterferenceRule{.threshold = 0});
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->has_value());
  // ...and the next watched one sees them all: 9 within the hour, 3 addresses.
  AccountToken watched = new_token("usr_bob");
  watched.issuer_ip = "192.0.2.3";
  auto alarm = store_->issue_watched_account_token(watched, kRule);
  ASSERT_TRUE(alarm && alarm->has_value());
  EXPECT_EQ((*alarm)->regenerations, 9);
  EXPECT_FALSE(store_->find_token_interference("usr_alice")->has_value());
}

// Test that distinct origins, not addresses, are counted: IPv6 addresses
// of one /64 (a host's rotating privacy addresses) are one origin, an
// IPv4-mapped address is its IPv4 address, and a second /64 is a second
// origin. The report lists the origins so.
TEST_P(StoreConformanceTest, InterferenceCountsAnIpv6SlashSixtyFourOnce) {
  make_user("carol");
  const char* one_host[] = {"2001:db8:1:2::a",  "2001:db8:1:2:8d3c:11ff:fe00:1",
                            "2001:db8:1:2::c",  "192.0.2.7",
                            "::ffff:192.0.2.7", "2001:db8:1:2::d"};
  std::optional<TokenInterference> alarm;
  for (const char* ip : one_host) {
    AccountToken t = new_token("usr_carol");
    t.issuer_ip = ip;
    auto issued = store_->issue_watched_account_token(t, kRule);
    ASSERT_TRUE(issued) << issued.error().description;
    alarm = *issued;
  }
  // The 6th issuance alarms (two origins: the /64 and the IPv4 address),
  // and the report names the two origins, not six addresses.
  ASSERT_TRUE(alarm.has_value());
  EXPECT_EQ(alarm->origins, (std::vector<std::string>{"192.0.2.7", "2001:db8:1:2::/64"}));
}

// Test that addresses of a single /64 alone never raise the alarm, however
// many, and that a second /64 does.
TEST_P(StoreConformanceTest, InterferenceNeedsTwoSlashSixtyFours) {
  make_user("dave");
  for (int i = 1; i <= 8; ++i) {
    AccountToken t = new_token("usr_dave");
    t.issuer_ip = "2001:db8:5:6::" + std::to_string(i);
    auto issued = store_->issue_watched_account_token(t, kRule);
    ASSERT_TRUE(issued) << issued.error().description;
    EXPECT_FALSE(issued->has_value()) << t.issuer_ip;
  }
  AccountToken other = new_token("usr_dave");
  other.issuer_ip = "2001:db8:5:7::1";
  auto alarm = store_->issue_watched_account_token(other, kRule);
  ASSERT_TRUE(alarm && alarm->has_value());
  EXPECT_EQ((*alarm)->origins,
            (std::vector<std::string>{"2001:db8:5:6::/64", "2001:db8:5:7::/64"}));
}

}  // namespace
}  // namespace latchkey::testing
