// AuditStore rules (store/audit_store.h), part of the Store conformance
// suite: every backend must pass them.
#include <set>
#include <string>
#include <vector>

#include "store/audit_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::milliseconds;

AuditEvent audit_at(Instant at, std::string principal, std::string action,
                    AuditDecision decision = AuditDecision::kAllow) {
  AuditEvent e;
  e.at = at;
  e.principal_id = std::move(principal);
  e.principal_name = e.principal_id + "-name";
  e.credential = "client cli_" + e.principal_id;
  e.action = std::move(action);
  e.resource = "user/" + e.principal_id;
  e.decision = decision;
  e.reason = decision == AuditDecision::kDeny ? "forbidden" : "";
  e.client_ip = "192.0.2.1";
  e.user_agent = "agent/1";
  e.integration = "risk-sync";
  return e;
}

std::vector<std::string> actions_of(const AuditPage& page) {
  std::vector<std::string> out;
  for (const AuditEvent& e : page.events) out.push_back(e.action);
  return out;
}

// Test that appended events come back with every field, ids assigned, and
// survive a reopen (durable on return).
TEST_P(StoreConformanceTest, AuditAppendRoundTripsAndIsDurable) {
  AuditEvent e = audit_at(clock_.now(), "usr_a", "account.token.issue", AuditDecision::kDeny);
  e.user_agent = "ua, with \"quotes\"";
  e.count = 3;
  ASSERT_TRUE(store_->audit().append(std::vector<AuditEvent>{e}).has_value());
  reopen();
  auto page = store_->audit().query({});
  ASSERT_TRUE(page.has_value()) << page.error().description;
  ASSERT_EQ(page->events.size(), 1u);
  const AuditEvent& got = page->events[0];
  EXPECT_GT(got.id, 0);
  EXPECT_EQ(got.at, e.at);
  EXPECT_EQ(got.principal_id, "usr_a");
  EXPECT_EQ(got.principal_name, "usr_a-name");
  EXPECT_EQ(got.credential, "client cli_usr_a");
  EXPECT_EQ(got.action, "account.token.issue");
  EXPECT_EQ(got.resource, "user/usr_a");
  EXPECT_EQ(got.decision, AuditDecision::kDeny);
  EXPECT_EQ(got.reason, "forbidden");
  EXPECT_EQ(got.client_ip, "192.0.2.1");
  EXPECT_EQ(got.user_agent, "ua, with \"quotes\"");
  EXPECT_EQ(got.integration, "risk-sync");
  EXPECT_EQ(got.count, 3u);
  EXPECT_FALSE(page->next.has_value());
}

// Test that the count of a coalesced row round-trips, large ones included,
// and that an event appended without one stands for one call.
TEST_P(StoreConformanceTest, AuditCountRoundTrips) {
  const Instant t = clock_.now();
  AuditEvent one = audit_at(t, "usr_a", "one");
  AuditEvent many = audit_at(t + milliseconds(1), "usr_a", "many");
  many.count = 7;
  AuditEvent huge = audit_at(t + milliseconds(2), "usr_a", "huge");
  huge.count = std::uint64_t{1} << 40;
  ASSERT_TRUE(store_->audit().append(std::vector<AuditEvent>{one, many, huge}).has_value());
  reopen();
  auto page = store_->audit().query({});
  ASSERT_TRUE(page.has_value()) << page.error().description;
  ASSERT_EQ(actions_of(*page), (std::vector<std::string>{"huge", "many", "one"}));
  EXPECT_EQ(page->events[0].count, std::uint64_t{1} << 40);
  EXPECT_EQ(page->events[1].count, 7u);
  EXPECT_EQ(page->events[2].count, 1u);
}

// Test that events come newest first, ties in time broken by append order
// (later first), and that an empty batch is a no-op.
TEST_P(StoreConformanceTest, AuditQueryIsNewestFirst) {
  const Instant t = clock_.now();
  ASSERT_TRUE(store_->audit()
                  .append(std::vector<AuditEvent>{audit_at(t, "usr_a", "1"),
                                                  audit_at(t + milliseconds(5), "usr_a", "3"),
                                                  audit_at(t, "usr_a", "2")})
                  .has_value());
  ASSERT_TRUE(store_->audit().append(std::vector<AuditEvent>{}).has_value());
  auto page = store_->audit().query({});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(actions_of(*page), (std::vector<std::string>{"3", "2", "1"}));
}

// Test the filters: principal, [from, to) and decision, alone and together.
TEST_P(StoreConformanceTest, AuditQueryFilters) {
  const Instant t = clock_.now();
  ASSERT_TRUE(store_->audit()
                  .append(std::vector<AuditEvent>{
                      audit_at(t, "usr_a", "a0"), audit_at(t + milliseconds(10), "usr_b", "b10"),
                      audit_at(t + milliseconds(20), "usr_a", "a20", AuditDecision::kDeny),
                      audit_at(t + milliseconds(30), "usr_a", "a30")})
                  .has_value());
  auto run = [&](AuditQuery q) {
    auto page = store_->audit().query(q);
    EXPECT_TRUE(page.has_value());
    return page ? actions_of(*page) : std::vector<std::string>{};
  };
  EXPECT_EQ(run({.principal_id = "usr_a"}), (std::vector<std::string>{"a30", "a20", "a0"}));
  EXPECT_EQ(run({.from = t + milliseconds(10), .to = t + milliseconds(30)}),
            (std::vector<std::string>{"a20", "b10"}));
  EXPECT_EQ(run({.decision = AuditDecision::kDeny}), (std::vector<std::string>{"a20"}));
  EXPECT_EQ(run({.principal_id = "usr_a",
                 .from = t + milliseconds(1),
                 .decision = AuditDecision::kAllow}),
            (std::vector<std::string>{"a30"}));
  EXPECT_TRUE(run({.principal_id = "usr_nobody"}).empty());
}

// Test the action filter (exact and prefix) and the key filter (any part
// of the masked credential, ASCII case-insensitively, or a key id in the
// resource), alone, together and with paging.
TEST_P(StoreConformanceTest, AuditQueryFiltersByActionAndKey) {
  const Instant t = clock_.now();
  auto keyed = [&](int ms, std::string action, std::string credential, std::string resource) {
    AuditEvent e = audit_at(t + milliseconds(ms), "usr_a", std::move(action));
    e.credential = std::move(credential);
    e.resource = std::move(resource);
    return e;
  };
  ASSERT_TRUE(store_->audit()
                  .append(std::vector<AuditEvent>{
                      keyed(0, "api_key.create", "client cli_admin",
                            "api_key/key_one \u2022\u2022\u2022\u2022a1B9 of user/usr_a"),
                      keyed(10, "authorize.read_records", "key \u2022\u2022\u2022\u2022a1B9",
                            "application/app_1"),
                      keyed(20, "authorize.read_records", "key \u2022\u2022\u2022\u2022zz99",
                            "application/app_1"),
                      keyed(30, "api_key.deactivate", "client cli_admin", "api_key/key_two"),
                      keyed(40, "api_keyx", "client cli_admin", "user/usr_a"),
                      keyed(50, "api_key.create", "session ses_1", "api_key/key_one_more")})
                  .has_value());
  auto run = [&](AuditQuery q) {
    auto page = store_->audit().query(q);
    EXPECT_TRUE(page.has_value());
    std::vector<std::string> ms;
    if (page) {
      for (const AuditEvent& e : page->events) {
        ms.push_back(std::to_string((e.at - t) / milliseconds(1)));
      }
    }
    return ms;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(run({.action = "api_key.create"}), (V{"50", "0"}));
  EXPECT_EQ(run({.action = "api_key.", .action_prefix = true}), (V{"50", "30", "0"}));
  EXPECT_EQ(run({.action = "api_key", .action_prefix = true}), (V{"50", "40", "30", "0"}));
  EXPECT_TRUE(run({.action = "api_key"}).empty());
  EXPECT_EQ(run({.key = "A1b9"}), (V{"10"}));
  EXPECT_EQ(run({.key = "key_one"}), (V{"50", "0"}));
  EXPECT_EQ(run({.key = "CLI_ADMIN"}), (V{"40", "30", "0"}));
  EXPECT_EQ(run({.action = "authorize.", .action_prefix = true, .key = "a1b9"}), (V{"10"}));
  EXPECT_TRUE(run({.key = "nothing"}).empty());
  // Paging keeps the filters: every match once, in order.
  AuditQuery first{.action = "api_key.", .action_prefix = true, .limit = 2};
  auto page = store_->audit().query(first);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->events.size(), 2u);
  ASSERT_TRUE(page->next.has_value());
  first.after = page->next;
  auto rest = store_->audit().query(first);
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->events.size(), 1u);
  EXPECT_EQ(rest->events[0].action, "api_key.create");
  EXPECT_FALSE(rest->next.has_value());
}

// Test keyset pagination: pages of `limit`, every event exactly once, in
// order, a cursor only while more may follow, and stable when new events
// are appended between pages.
TEST_P(StoreConformanceTest, AuditPagination) {
  const Instant t = clock_.now();
  std::vector<AuditEvent> events;
  for (int i = 0; i < 7; ++i) {
    // Pairs share a timestamp so that the id breaks ties across pages.
    events.push_back(audit_at(t + milliseconds(i / 2), "usr_a", std::to_string(i)));
  }
  ASSERT_TRUE(store_->audit().append(events).has_value());
  std::vector<std::string> seen;
  AuditQuery query{.limit = 3};
  int pages = 0;
  for (;;) {
    auto page = store_->audit().query(query);
    ASSERT_TRUE(page.has_value());
    ++pages;
    for (const auto& a : actions_of(*page)) seen.push_back(a);
    if (pages == 1) {
      // Appended after the first page: newer, so never on a later page.
      ASSERT_TRUE(
          store_->audit()
              .append(std::vector<AuditEvent>{audit_at(t + milliseconds(99), "usr_a", "new")})
              .has_value());
    }
    if (!page->next) break;
    query.after = page->next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"6", "5", "4", "3", "2", "1", "0"}));

  // Exactly a page's worth left: no cursor after the last page.
  auto exact = store_->audit().query({.limit = 8});
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->events.size(), 8u);
  EXPECT_FALSE(exact->next.has_value());
}

// Test that a limit outside 1..kMaxAuditPageSize is refused.
TEST_P(StoreConformanceTest, AuditQueryRefusesBadLimit) {
  for (int limit : {0, -1, kMaxAuditPageSize + 1}) {
    auto page = store_->audit().query({.limit = limit});
    ASSERT_FALSE(page.has_value()) << limit;
    EXPECT_EQ(page.error().code, ErrorCode::kInvalidRequest);
  }
}

// Test clients_of: distinct (IP, User-Agent, X-Integration) of one principal
// in the window, with first/last seen, call and denial counts and the
// credentials used, most recently seen first.
TEST_P(StoreConformanceTest, AuditClientsOfAPrincipal) {
  const Instant t = clock_.now();
  auto call = [&](int ms, std::string principal, std::string ip, std::string integration,
                  AuditDecision d = AuditDecision::kAllow) {
    AuditEvent e = audit_at(t + milliseconds(ms), std::move(principal), "account.me", d);
    e.client_ip = std::move(ip);
    e.integration = std::move(integration);
    return e;
  };
  std::vector<AuditEvent> events = {
      call(0, "usr_svc", "10.0.0.1", "risk-sync"),
      call(5, "usr_svc", "10.0.0.2", "warehouse-export"),
      call(10, "usr_svc", "10.0.0.1", "risk-sync", AuditDecision::kDeny),
      call(11, "usr_other", "10.0.0.9", "other"),
      call(50, "usr_svc", "10.0.0.3", "too-late"),
  };
  events[2].credential = "key ••••a1B9";
  ASSERT_TRUE(store_->audit().append(events).has_value());
  auto clients = store_->audit().clients_of("usr_svc", t, t + milliseconds(50));
  ASSERT_TRUE(clients.has_value()) << clients.error().description;
  ASSERT_EQ(clients->size(), 2u);
  const AuditClient& first = (*clients)[0];
  EXPECT_EQ(first.integration, "risk-sync");
  EXPECT_EQ(first.client_ip, "10.0.0.1");
  EXPECT_EQ(first.calls, 2);
  EXPECT_EQ(first.denied, 1);
  EXPECT_EQ(first.first_seen, t);
  EXPECT_EQ(first.last_seen, t + milliseconds(10));
  EXPECT_EQ(first.credentials, (std::vector<std::string>{"client cli_usr_svc", "key ••••a1B9"}));
  EXPECT_EQ((*clients)[1].integration, "warehouse-export");
  EXPECT_EQ((*clients)[1].calls, 1);
}

// Test action_usage: per principal, action and resource, allowed and denied
// counts in the window; events without a principal are left out.
TEST_P(StoreConformanceTest, AuditActionUsage) {
  const Instant t = clock_.now();
  ASSERT_TRUE(
      store_->audit()
          .append(std::vector<AuditEvent>{
              audit_at(t, "usr_a", "authorize.create_record"),
              audit_at(t + milliseconds(1), "usr_a", "authorize.create_record"),
              audit_at(t + milliseconds(2), "usr_a", "authorize.create_record",
                       AuditDecision::kDeny),
              audit_at(t + milliseconds(3), "usr_b", "account.me"),
              audit_at(t + milliseconds(4), "", "account.token.issue", AuditDecision::kDeny)})
          .has_value());
  auto uses = store_->audit().action_usage(t, t + milliseconds(100));
  ASSERT_TRUE(uses.has_value()) << uses.error().description;
  ASSERT_EQ(uses->size(), 2u);
  EXPECT_EQ((*uses)[0].principal_id, "usr_a");
  EXPECT_EQ((*uses)[0].action, "authorize.create_record");
  EXPECT_EQ((*uses)[0].allowed, 2);
  EXPECT_EQ((*uses)[0].denied, 1);
  EXPECT_EQ((*uses)[0].last_seen, t + milliseconds(2));
  EXPECT_EQ((*uses)[1].principal_id, "usr_b");
}

// Test that the summaries add the rows' counts rather than count rows: a
// row of count n is n calls in clients_of (calls, denied) and action_usage
// (allowed, denied).
TEST_P(StoreConformanceTest, AuditSummariesAddCounts) {
  const Instant t = clock_.now();
  auto row = [&](int ms, AuditDecision d, std::uint64_t count) {
    AuditEvent e = audit_at(t + milliseconds(ms), "usr_svc", "authorize.create_record", d);
    e.count = count;
    return e;
  };
  ASSERT_TRUE(store_->audit()
                  .append(std::vector<AuditEvent>{
                      row(0, AuditDecision::kAllow, 40), row(1, AuditDecision::kAllow, 2),
                      row(2, AuditDecision::kDeny, 5), row(3, AuditDecision::kAllow, 1)})
                  .has_value());
  auto clients = store_->audit().clients_of("usr_svc", t, t + milliseconds(100));
  ASSERT_TRUE(clients.has_value()) << clients.error().description;
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].calls, 48);
  EXPECT_EQ((*clients)[0].denied, 5);
  EXPECT_EQ((*clients)[0].first_seen, t);
  EXPECT_EQ((*clients)[0].last_seen, t + milliseconds(3));

  auto uses = store_->audit().action_usage(t, t + milliseconds(100));
  ASSERT_TRUE(uses.has_value()) << uses.error().description;
  ASSERT_EQ(uses->size(), 1u);
  EXPECT_EQ((*uses)[0].allowed, 43);
  EXPECT_EQ((*uses)[0].denied, 5);
}

// Test that prune forgets exactly the events older than the cut-off.
TEST_P(StoreConformanceTest, AuditPrune) {
  const Instant t = clock_.now();
  ASSERT_TRUE(store_->audit()
                  .append(std::vector<AuditEvent>{audit_at(t, "usr_a", "old"),
                                                  audit_at(t + milliseconds(10), "usr_a", "new")})
                  .has_value());
  auto pruned = store_->audit().prune(t + milliseconds(10));
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(*pruned, 1);
  auto page = store_->audit().query({});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(actions_of(*page), (std::vector<std::string>{"new"}));
}

}  // namespace
}  // namespace latchkey::testing
