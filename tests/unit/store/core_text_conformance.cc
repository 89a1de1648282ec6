// Store conformance for caller-given text that a backend may not hold as it
// is: a NUL byte or malformed UTF-8 in an id, a name or a client id. Such a
// key names no row (never the row of its prefix: libpq would cut
// "usr_alice\0junk" to "usr_alice"), and such a value is either refused
// with kInvalidRequest or stored exactly, never cut and never a 500.
// Runs on every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include <string>

#include "store/store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using namespace std::string_literals;

const std::string kNulId = "usr_alice\0junk"s;
const std::string kBadUtf8Id = "usr_alice\xff";

// Test that lookups by an id, name or client id holding a NUL or malformed
// UTF-8 find nothing, and that writes keyed by such an id touch nothing.
TEST_P(StoreConformanceTest, UnstorableKeysNameNoRow) {
  const User alice = make_user("alice");
  ASSERT_TRUE(store_->put_client_credential(new_credential(alice.id, "cli_a")));
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));

  for (const std::string& id : {kNulId, kBadUtf8Id}) {
    SCOPED_TRACE(::testing::PrintToString(id));
    auto user = store_->get_user(id);
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, ErrorCode::kNotFound) << user.error().description;

    auto credential = store_->client_credential_of_user(id);
    ASSERT_TRUE(credential) << credential.error().description;
    EXPECT_FALSE(*credential);

    auto interference = store_->find_token_interference(id);
    ASSERT_TRUE(interference) << interference.error().description;
    EXPECT_FALSE(*interference);

    auto updated = store_->update_user(id, UserUpdate{.disabled = true}, clock_.now());
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().code, ErrorCode::kNotFound) << updated.error().description;

    auto origins = store_->set_user_allowed_origins(id, {"10.0.0.0/8"}, clock_.now());
    ASSERT_FALSE(origins);
    EXPECT_EQ(origins.error().code, ErrorCode::kNotFound) << origins.error().description;

    auto secret = store_->set_client_secret(id, "cli_new", random_digest(), clock_.now(), false);
    ASSERT_FALSE(secret);
    EXPECT_EQ(secret.error().code, ErrorCode::kNotFound) << secret.error().description;

    auto retired = store_->retire_previous_client_secret(id, clock_.now());
    ASSERT_TRUE(retired) << retired.error().description;
    EXPECT_FALSE(*retired);

    auto issued = store_->issue_account_token(new_token(id));
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().code, ErrorCode::kNotFound) << issued.error().description;

    auto ended = store_->end_account_tokens_of_user(id, TokenEndReason::kRevoked, clock_.now());
    ASSERT_TRUE(ended) << ended.error().description;
    EXPECT_EQ(*ended, 0);
  }
  for (const std::string& name : {"alice\0junk"s, "alice\xC0\xAF"s}) {
    auto by_name = store_->find_user_by_name(name);
    ASSERT_TRUE(by_name) << by_name.error().description;
    EXPECT_FALSE(*by_name);
  }
  for (const std::string& client_id : {"cli_a\0junk"s, "cli_a\xED\xA0\x80"s}) {
    auto by_client = store_->find_client_credential(client_id);
    ASSERT_TRUE(by_client) << by_client.error().description;
    EXPECT_FALSE(*by_client);
  }

  // Alice and her token are untouched.
  auto again = store_->get_user(alice.id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->disabled);
  auto live = store_->find_account_token(token.digest);
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->live);
}

// Test that a name or description holding a NUL or malformed UTF-8 is either
// refused as the caller's mistake or stored exactly; never cut short.
TEST_P(StoreConformanceTest, UnstorableValuesAreRefusedOrKept) {
  NewUser bob = new_user("bob");
  bob.name = "bob\0junk"s;
  auto created = store_->create_user(bob);
  if (created) {
    auto found = store_->find_user_by_name(bob.name);
    ASSERT_TRUE(found);
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->name, bob.name);
  } else {
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidRequest) << created.error().description;
  }
  auto prefix = store_->find_user_by_name("bob");
  ASSERT_TRUE(prefix);
  EXPECT_FALSE(*prefix);

  const User carol = make_user("carol");
  const std::string odd = "owner \xff\xfe";
  auto updated = store_->update_user(carol.id, UserUpdate{.owner = odd}, clock_.now());
  if (updated) {
    EXPECT_EQ(updated->owner, odd);
  } else {
    EXPECT_EQ(updated.error().code, ErrorCode::kInvalidRequest) << updated.error().description;
  }
}

}  // namespace
}  // namespace latchkey::testing
