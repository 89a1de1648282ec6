// What only the PostgreSQL keys area has: batches sent as array
// parameters (pg_arrays.h) and read back by unnest(), so any text must
// survive the trip, and a batch naming one row twice must not trip
// PostgreSQL's "cannot affect row a second time"; text PostgreSQL cannot
// hold (NUL, malformed UTF-8; pg_text.h) names no row and is never cut
// short to reach another one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/event_outbox_store.h"
#include "store/key_store.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_text.h"
#include "store/session_store.h"
#include "store/usage_store.h"
#include "support/postgres_server.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const Instant kHour = from_unix_millis(1'795'000'000'000 / 3'600'000 * 3'600'000);

std::unique_ptr<pg::PgStore> open_store(const std::string& tag) {
  const std::string url = fresh_schema_url(tag);
  if (url.empty()) return nullptr;
  auto store = pg::PgStore::open(pg::PgStoreOptions{url, 4});
  if (!store) {
    ADD_FAILURE() << store.error().description;
    return nullptr;
  }
  return std::move(*store);
}

// Test that array literals quote every element and escape quotes and
// backslashes, and that an empty list is "{}".
TEST(PgArrays, LiteralsQuoteAndEscape) {
  EXPECT_EQ(pg::array_literal(std::vector<std::string_view>{}), "{}");
  EXPECT_EQ(pg::array_literal(std::vector<std::string_view>{"a", "b c"}), R"({"a","b c"})");
  EXPECT_EQ(pg::array_literal(std::vector<std::string_view>{R"(say "hi")", R"(a\b)"}),
            R"({"say \"hi\"","a\\b"})");
  EXPECT_EQ(pg::array_literal(std::vector<std::int64_t>{1, -2, 3}), "{1,-2,3}");
}

// Test that route labels holding an array literal's special characters
// (commas, braces, quotes, backslashes, spaces, the word NULL, non-ASCII)
// are stored and read back as themselves by a usage flush.
TEST(PgKeysArea, UsageRoutesSurviveTheArrayParameter) {
  auto store = open_store("keys_arrays");
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> routes = {"GET /a,b",      "GET /{id}", R"(label "quoted")",
                                           R"(back\slash)", "NULL",      "",
                                           "  spaced  ",    "GET /é"};
  std::vector<UsageRow> rows;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    rows.push_back(UsageRow{"key_a", UsageGranularity::kHour, kHour, routes[i], "2xx",
                            static_cast<std::int64_t>(i + 1)});
  }
  auto added = store->usage().add_usage(rows);
  ASSERT_TRUE(added) << added.error().description;
  auto read =
      store->usage().usage_of_key("key_a", UsageGranularity::kHour, kHour, kHour + hours(1));
  ASSERT_TRUE(read) << read.error().description;
  ASSERT_EQ(read->size(), routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    bool found = false;
    for (const UsageRow& row : *read) {
      if (row.route == routes[i]) {
        found = true;
        EXPECT_EQ(row.count, static_cast<std::int64_t>(i + 1)) << routes[i];
      }
    }
    EXPECT_TRUE(found) << "route not read back: [" << routes[i] << "]";
  }
}

// Test that one flush naming the same row twice adds both counts.
TEST(PgKeysArea, UsageFlushNamingARowTwiceAddsBoth) {
  auto store = open_store("keys_usage_twice");
  ASSERT_NE(store, nullptr);
  const UsageRow row{"key_a", UsageGranularity::kDay, kHour, "GET /x", "2xx", 2};
  ASSERT_TRUE(store->usage().add_usage({row, row, row}));
  auto read = store->usage().usage_of_key("key_a", UsageGranularity::kDay, kHour, kHour + hours(1));
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->front().count, 6);
}

// Test that a last-use batch naming one key several times keeps the latest
// observation and counts the key once.
TEST(PgKeysArea, KeyUsageBatchNamingAKeyTwiceKeepsTheLatest) {
  auto store = open_store("keys_last_used_twice");
  ASSERT_NE(store, nullptr);
  NewUser user;
  user.id = "usr_owner";
  user.name = "owner";
  user.api_access = true;
  user.created_at = kHour;
  ASSERT_TRUE(store->create_user(user));
  ApiKey key;
  key.id = "key_\"odd\",id";  // the array parameter must carry it too
  key.user_id = "usr_owner";
  key.name = "odd";
  key.masked = "••••odd1";
  key.created_at = kHour;
  key.expires_at = kHour + hours(24);
  ASSERT_TRUE(store->keys().insert_key(key));
  auto changed = store->keys().record_key_usage(
      {{key.id, kHour + seconds(5)}, {key.id, kHour + seconds(9)}, {key.id, kHour + seconds(1)}});
  ASSERT_TRUE(changed) << changed.error().description;
  EXPECT_EQ(*changed, 1);
  auto found = store->keys().find_key(key.id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->last_used_at, kHour + seconds(9));
}

const std::string kWithNul("key_a\0junk", 10);
const std::string kMalformed = "key_a\xC3";  // a lead byte without its continuation

// Test the storable-text rule: valid UTF-8 (also 4-byte characters) is
// storable; NUL, stray continuation bytes, overlong forms, surrogates and
// truncated sequences are not.
TEST(PgText, StorableIsValidUtf8WithoutNul) {
  EXPECT_TRUE(pg::is_storable_text(""));
  EXPECT_TRUE(pg::is_storable_text("key_a é € \xF0\x9F\x94\x91"));
  EXPECT_FALSE(pg::is_storable_text(kWithNul));
  EXPECT_FALSE(pg::is_storable_text(kMalformed));
  EXPECT_FALSE(pg::is_storable_text("\x80"));
  EXPECT_FALSE(pg::is_storable_text("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(pg::is_storable_text("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(pg::is_storable_text("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(pg::is_storable_text("\xFF"));
}

// Test that a key id with a NUL or malformed UTF-8 names no key, even when
// the part before the NUL does: lookups find nothing, deactivation and
// changes touch nothing, and writes of such text are kInvalidRequest, not
// a 500.
TEST(PgKeysArea, UnstorableKeyIdsNameNoKey) {
  auto store = open_store("keys_unstorable");
  ASSERT_NE(store, nullptr);
  NewUser user;
  user.id = "usr_owner";
  user.name = "owner";
  user.api_access = true;
  user.created_at = kHour;
  ASSERT_TRUE(store->create_user(user));
  ApiKey key;
  key.id = "key_a";
  key.user_id = "usr_owner";
  key.name = "a";
  key.masked = "••••aaaa";
  key.created_at = kHour;
  key.expires_at = kHour + hours(24);
  ASSERT_TRUE(store->keys().insert_key(key));

  for (const std::string& id : {kWithNul, kMalformed}) {
    auto found = store->keys().find_key(id);
    ASSERT_TRUE(found) << found.error().description;
    EXPECT_FALSE(found->has_value());
    auto deactivated = store->keys().deactivate_key(id, kHour, "usr_owner");
    ASSERT_TRUE(deactivated);
    EXPECT_FALSE(deactivated->has_value());
    auto limited = store->keys().set_key_limits(id, KeyLimitOverride{1, 1});
    ASSERT_TRUE(limited);
    EXPECT_FALSE(limited->has_value());
    auto rerolled = store->keys().reroll_key(id, key, kHour, kHour);
    ASSERT_FALSE(rerolled);
    EXPECT_EQ(rerolled.error().code, ErrorCode::kNotFound);
    auto used = store->keys().record_key_usage({{id, kHour + seconds(1)}});
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, 0);
    ApiKey bad = key;
    bad.id = "key_b";
    bad.name = id;
    bad.digest[0] = 1;
    auto inserted = store->keys().insert_key(bad);
    ASSERT_FALSE(inserted);
    EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidRequest);
  }
  auto stored = store->keys().find_key("key_a");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->status, KeyStatus::kActive);
  EXPECT_TRUE((*stored)->limits.empty());
  EXPECT_FALSE((*stored)->last_used_at);
}

// Test that a session id with a NUL or malformed UTF-8 names no session
// (seed 003's session_id comes from the request body): a login with it is
// kInvalidRequest, never the token of the session named by its prefix.
TEST(PgKeysArea, UnstorableSessionIdsNameNoSession) {
  auto store = open_store("sessions_unstorable");
  ASSERT_NE(store, nullptr);
  LoginSession session;
  session.key_id = "key_a";
  session.session_id = "key_a";  // the prefix of both bad ids below
  session.user_id = "usr_owner";
  session.created_at = kHour;
  session.token = "tok-a";
  session.token_issued_at = kHour;
  session.token_expires_at = kHour + hours(2);
  ASSERT_TRUE(store->sessions().login_session(session, kHour));
  for (const std::string& id : {kWithNul, kMalformed}) {
    LoginSession other = session;
    other.session_id = id;
    other.token = "tok-other";
    auto login = store->sessions().login_session(other, kHour);
    ASSERT_FALSE(login);
    EXPECT_EQ(login.error().code, ErrorCode::kInvalidRequest);
    auto found = store->sessions().find_session("key_a", id);
    ASSERT_TRUE(found);
    EXPECT_FALSE(found->has_value());
    auto revoked = store->sessions().revoke_session("key_a", id, kHour);
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().code, ErrorCode::kNotFound);
    auto listed = store->sessions().sessions_of_key(id);
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty());
  }
  auto kept = store->sessions().find_session("key_a", "key_a");
  ASSERT_TRUE(kept && kept->has_value());
  EXPECT_FALSE((*kept)->revoked_at);
}

// Test that usage rows and outbox events with unstorable text are refused
// whole (kInvalidRequest), and that lookups by such ids find nothing.
TEST(PgKeysArea, UnstorableUsageAndOutboxTextIsRefused) {
  auto store = open_store("usage_outbox_unstorable");
  ASSERT_NE(store, nullptr);
  auto added = store->usage().add_usage(
      {UsageRow{"key_a", UsageGranularity::kHour, kHour, "GET /x", "2xx", 1},
       UsageRow{"key_a", UsageGranularity::kHour, kHour, kMalformed, "2xx", 1}});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidRequest);
  auto rows =
      store->usage().usage_of_key("key_a", UsageGranularity::kHour, kHour, kHour + hours(1));
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  auto by_bad_key =
      store->usage().usage_of_key(kWithNul, UsageGranularity::kHour, kHour, kHour + hours(1));
  ASSERT_TRUE(by_bad_key);
  EXPECT_TRUE(by_bad_key->empty());

  ASSERT_TRUE(
      *store->outbox().enqueue(NewOutboxEvent{"key_a", "key.created", kHour, "{}", "", kHour}));
  auto bad = store->outbox().enqueue(
      NewOutboxEvent{"evt_bad", "key.created", kHour, "{\"x\":\"" + kMalformed + "\"}", "", kHour});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidRequest);
  for (const std::string& id : {kWithNul, kMalformed}) {
    EXPECT_FALSE(store->outbox().get(id)->has_value());
    EXPECT_FALSE(*store->outbox().mark_delivered(id, kHour));
    EXPECT_EQ(store->outbox().requeue(id, kHour).error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(store->outbox().get("key_a")->value().status, OutboxStatus::kPending);
}

}  // namespace
}  // namespace latchkey::testing
