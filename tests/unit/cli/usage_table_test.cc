// `latchkey keys usage`'s table (cli/usage_table.h): one line per bucket and
// route, a column per status class, the totals; anything that is not a
// usage answer is left to the JSON printer.
#include "cli/usage_table.h"

#include <gtest/gtest.h>

namespace latchkey::cli {
namespace {

// Test the lines and totals of a two-bucket answer.
TEST(UsageTable, BucketsRoutesAndTotals) {
  const auto table = usage_table(R"({
    "key_id": "key_1", "granularity": "hour",
    "from": "2026-11-23T10:00:00.000Z", "to": "2026-11-23T12:00:00.000Z", "total": 9,
    "buckets": [
      {"start": "2026-11-23T10:00:00.000Z", "total": 6, "counts": [
        {"route": "GET /api/v1/account/me", "status_class": "2xx", "count": 4},
        {"route": "GET /api/v1/account/me", "status_class": "4xx", "count": 1},
        {"route": "POST /v2/auth/token/access", "status_class": "2xx", "count": 1}]},
      {"start": "2026-11-23T11:00:00.000Z", "total": 3, "counts": [
        {"route": "GET /api/v1/account/me", "status_class": "5xx", "count": 3}]}]})");
  ASSERT_TRUE(table);
  EXPECT_NE(table->find("key key_1, hour buckets"), std::string::npos) << *table;
  EXPECT_NE(table->find("\n2026-11-23 10:00  GET /api/v1/account/me            4       0       1"
                        "       0        5\n"),
            std::string::npos)
      << *table;
  EXPECT_NE(table->find("\n2026-11-23 10:00  POST /v2/auth/token/access        1       0       0"
                        "       0        1\n"),
            std::string::npos)
      << *table;
  EXPECT_NE(table->find("\n2026-11-23 11:00  GET /api/v1/account/me            0       0       0"
                        "       3        3\n"),
            std::string::npos)
      << *table;
  EXPECT_NE(table->find("\n                  TOTAL                             5       0       1"
                        "       3        9\n"),
            std::string::npos)
      << *table;
}

// Test that an empty range says so and a non-usage body is refused.
TEST(UsageTable, EmptyAndForeign) {
  const auto empty = usage_table(R"({"key_id": "key_1", "buckets": []})");
  ASSERT_TRUE(empty);
  EXPECT_NE(empty->find("(no requests in this range)"), std::string::npos);
  EXPECT_FALSE(usage_table(R"({"error": "not_found"})"));
  EXPECT_FALSE(usage_table("not json"));
  EXPECT_FALSE(usage_table(R"({"buckets": [{"start": 1}]})"));
}

}  // namespace
}  // namespace latchkey::cli
