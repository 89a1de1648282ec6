// The policy area's PostgreSQL helpers (store/postgres/pg_policy_area.h) and
// what they guarantee end to end: array parameters carry any text exactly,
// and text PostgreSQL would refuse (NUL, malformed UTF-8) is stored with
// U+FFFD in its place instead of failing the whole audit batch.
#include "store/postgres/pg_policy_area.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/policy_store.h"
#include "store/postgres/pg_store.h"
#include "support/postgres_server.h"

namespace latchkey::testing {
namespace {

using namespace std::string_literals;

// Test that array literals quote every element and escape quotes and
// backslashes, so that commas, braces and spaces are data.
TEST(PgPolicyArea, TextArrayQuotesEveryElement) {
  const std::vector<std::string> values = {"a", "", "b,c", "{d}", "e\"f", "g\\h", " NULL "};
  EXPECT_EQ(pg::array_literal(values), R"({"a","","b,c","{d}","e\"f","g\\h"," NULL "})");
  EXPECT_EQ(pg::array_literal(std::vector<std::string>{}), "{}");
  const std::vector<std::int64_t> numbers = {-1, 0, 1795000000000};
  EXPECT_EQ(pg::array_literal(numbers), "{-1,0,1795000000000}");
}

// Test that well-formed UTF-8 passes unchanged and every byte that is not
// (NUL, stray continuation, overlong, surrogate, beyond U+10FFFF,
// truncated) becomes U+FFFD.
TEST(PgPolicyArea, ValidUtf8ReplacesWhatPostgresRefuses) {
  const std::string ok = "ascii \u00e9 \u20ac \U0001F511 \u2022\u2022\u2022\u2022a1B9";
  EXPECT_EQ(pg::valid_utf8(ok), ok);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(pg::valid_utf8("a\0b"s), "a" + r + "b");
  EXPECT_EQ(pg::valid_utf8("\x80"), r);
  EXPECT_EQ(pg::valid_utf8("\xC0\xAF"), r + r);                  // overlong '/'
  EXPECT_EQ(pg::valid_utf8("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(pg::valid_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(pg::valid_utf8("x\xE2\x82"), "x" + r + r);           // truncated at the end
  EXPECT_EQ(pg::valid_utf8("\xFF"
                           "Mozilla"),
            r + "Mozilla");
}

// Test that an audit batch whose client-supplied fields hold NUL and
// malformed UTF-8 is stored (with U+FFFD), that array syntax in values
// round-trips exactly, and that a filter with the same bytes still matches.
TEST(PgPolicyArea, AuditStoresTextPostgresWouldRefuse) {
  const std::string url = fresh_schema_url("policy_text");
  ASSERT_FALSE(url.empty());
  auto store = pg::PgStore::open(pg::PgStoreOptions{url, 2});
  ASSERT_TRUE(store) << store.error().description;
  AuditEvent odd;
  odd.at = from_unix_millis(1'795'000'000'000);
  odd.principal_id = "usr_a";
  odd.action = "account.me";
  odd.credential =
      "key \xFF"
      "a1B9";
  odd.user_agent = "curl\0/8"s;
  odd.integration = R"({"x",\y} NULL)";
  AuditEvent plain = odd;
  plain.credential = "client cli_a";
  plain.user_agent = "agent/1";
  ASSERT_TRUE((*store)->audit().append(std::vector<AuditEvent>{odd, plain}));

  auto page = (*store)->audit().query({});
  ASSERT_TRUE(page) << page.error().description;
  ASSERT_EQ(page->events.size(), 2u);
  const AuditEvent& got = page->events[1];
  EXPECT_EQ(got.credential,
            "key \xEF\xBF\xBD"
            "a1B9");
  EXPECT_EQ(got.user_agent, "curl\xEF\xBF\xBD/8");
  EXPECT_EQ(got.integration, R"({"x",\y} NULL)");
  EXPECT_EQ(page->events[0].integration, R"({"x",\y} NULL)");

  auto found = (*store)->audit().query({.key = "\xFF"
                                               "A1b9"});
  ASSERT_TRUE(found) << found.error().description;
  ASSERT_EQ(found->events.size(), 1u);
  EXPECT_EQ(found->events[0].id, got.id);
}

// Test that an id or name PostgreSQL cannot hold as text (a NUL, malformed
// UTF-8) names no row and never reaches another row: libpq would cut
// "rol_x\0junk" to "rol_x". Lookups find nothing, writes are refused as
// kInvalidRequest, and the rows of the cut id are untouched; nothing is
// kInternal (a 500 for a client's mistake).
TEST(PgPolicyArea, UnstorableIdsNameNoRow) {
  const std::string url = fresh_schema_url("policy_nul");
  ASSERT_FALSE(url.empty());
  auto store = pg::PgStore::open(pg::PgStoreOptions{url, 2});
  ASSERT_TRUE(store) << store.error().description;
  Store& s = **store;
  const Instant now = from_unix_millis(1'795'000'000'000);
  NewUser user;
  user.id = "usr_x";
  user.name = "x";
  user.api_access = true;
  user.created_at = now;
  ASSERT_TRUE(s.create_user(user));
  ASSERT_TRUE(s.policy().create_role({"rol_x", "X", {"RECORDS"}, {}, now}));
  ASSERT_TRUE(s.policy().add_role_member("rol_x", "usr_x"));
  ConsoleSession session;
  session.id = "ses_x";
  session.secret_digest[0] = 1;
  session.csrf_digest[0] = 2;
  session.user_id = "usr_x";
  session.created_at = session.last_seen_at = now;
  session.expires_at = now + std::chrono::hours(1);
  ASSERT_TRUE(s.console().create_console_session(session));

  for (const std::string& bad : {"rol_x\0junk"s, "rol_x\xFF"s}) {
    auto role = s.policy().get_role(bad);
    ASSERT_TRUE(role) << role.error().description;
    EXPECT_FALSE(role->has_value());
    auto deleted = s.policy().delete_role(bad);
    ASSERT_FALSE(deleted);
    EXPECT_EQ(deleted.error().code, ErrorCode::kInvalidRequest);
    auto removed = s.policy().remove_role_member(bad, "usr_x");
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code, ErrorCode::kInvalidRequest);
  }
  EXPECT_EQ(s.policy().role_members("rol_x"), std::vector<std::string>{"usr_x"});

  auto found = s.console().find_console_session("ses_x\0"s);
  ASSERT_TRUE(found) << found.error().description;
  EXPECT_FALSE(found->has_value());
  auto ended = s.console().end_console_session("ses_x\0x"s, now, "revoked");
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code, ErrorCode::kInvalidRequest);
  auto open = s.console().open_console_sessions_of_user("usr_x");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 1u);
  auto created = s.policy().create_role({"rol_y", "Bad\xC0\xAF name", {}, {}, now});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kInvalidRequest);
}

// Test that sorting, the action prefix filter and the case-insensitive key
// filter are byte-wise and ASCII-only as on SQLite even in a database whose
// default collation is not C (ICU en-US sorts "a" before "B", ignores "_"
// at first, and lower-cases "É").
TEST(PgPolicyArea, OrderAndMatchingAreByteWiseWhateverTheLocale) {
  PostgresServer& server = shared_postgres_server();
  ASSERT_TRUE(server.ok());
  const std::string database = "icu_" + std::to_string(getpid());
  ASSERT_TRUE(server.execute("postgres", "CREATE DATABASE " + database +
                                             " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                                             "TEMPLATE template0"));
  auto store = pg::PgStore::open(pg::PgStoreOptions{server.url(database), 2});
  ASSERT_TRUE(store) << store.error().description;
  Store& s = **store;
  const Instant now = from_unix_millis(1'795'000'000'000);
  ASSERT_TRUE(s.policy().create_role({"rol_r", "R", {"b", "B", "_a"}, {}, now}));
  for (const char* name : {"a", "B", "_z"}) {
    NewUser user;
    user.id = std::string("usr_") + name;
    user.name = name;
    user.api_access = true;
    user.created_at = now;
    ASSERT_TRUE(s.create_user(user));
    ASSERT_TRUE(s.policy().add_role_member("rol_r", user.id));
  }
  EXPECT_EQ(s.policy().role_members("rol_r"),
            (std::vector<std::string>{"usr_B", "usr__z", "usr_a"}));
  auto role = s.policy().get_role("rol_r");
  ASSERT_TRUE(role && role->has_value());
  EXPECT_EQ((*role)->modules, (std::vector<std::string>{"B", "_a", "b"}));

  std::vector<AuditEvent> events;
  for (const char* action : {"api_key.create", "api_keyx", "apiZ", "api_key"}) {
    AuditEvent e;
    e.at = now;
    e.principal_id = "usr_a";
    e.action = action;
    e.credential = "key \u00c9a1B9";
    events.push_back(e);
  }
  ASSERT_TRUE(s.audit().append(events));
  auto prefixed = s.audit().query({.action = "api_key", .action_prefix = true});
  ASSERT_TRUE(prefixed) << prefixed.error().description;
  std::set<std::string> actions;
  for (const AuditEvent& e : prefixed->events) actions.insert(e.action);
  EXPECT_EQ(actions, (std::set<std::string>{"api_key", "api_key.create", "api_keyx"}));
  // ASCII letters fold, "É" does not (SQLite's lower()).
  auto ascii = s.audit().query({.key = "\u00c9A1b9"});
  ASSERT_TRUE(ascii);
  EXPECT_EQ(ascii->events.size(), 4u);
  auto accented = s.audit().query({.key = "\u00e9a1b9"});
  ASSERT_TRUE(accented);
  EXPECT_TRUE(accented->events.empty());
  store->reset();  // its connections, so that the database can go
  EXPECT_TRUE(server.execute("postgres", "DROP DATABASE " + database + " WITH (FORCE)"));
}

}  // namespace
}  // namespace latchkey::testing
