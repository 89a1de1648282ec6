// What only the PostgreSQL keys area has: batches sent as array
// parameters (pg_arrays.h) and read back by unnest(), so any text must
// survive the trip, and a batch naming one row twice must not trip
// PostgreSQL's "cannot affect row a second time".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/key_store.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_store.h"
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

}  // namespace
}  // namespace latchkey::testing
