// Invariant 1 (DESIGN.md): at most one valid account token per user at any
// instant, under any number of concurrent issuers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class ConcurrentIssuers : public ServerTest {};

// Test that 32 concurrent issuers for one user leave exactly one valid token,
// that the store never holds two tokens of the user during the storm, and
// that a token once seen invalid is never valid again.
TEST_F(ConcurrentIssuers, ExactlyOneTokenSurvives) {
  const Credentials svc = create_user_with_credentials("shared-account", "service", true);
  constexpr int kIssuers = 32;

  std::mutex mu;
  std::vector<std::string> issued;  // GUARDED_BY(mu)
  std::atomic<bool> storm_over{false};
  std::atomic<int> store_violations{0}, resurrections{0}, failures{0};

  // Watches the store directly: the count of live tokens of the user.
  std::thread store_checker([&] {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((server_->data_dir() + "/db/latchkey.db").c_str(), &db,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM account_tokens WHERE user_id = ?", -1, &stmt,
                       nullptr);
    sqlite3_bind_text(stmt, 1, svc.user_id.c_str(), -1, SQLITE_TRANSIENT);
    while (!storm_over) {
      if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) > 1) ++store_violations;
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  });

  // Watches over HTTP: once a token answers 401 it must never answer 200 again.
  std::thread http_checker([&] {
    HttpClient client;
    std::set<std::string> dead;
    while (!storm_over) {
      std::vector<std::string> snapshot;
      {
        std::lock_guard lock(mu);
        snapshot = issued;
      }
      for (const auto& t : snapshot) {
        HttpResult r =
            client.send("GET", server_->url() + "/api/v1/account/me", {bearer_header(t)});
        if (r.status == 401) dead.insert(t);
        if (r.status == 200 && dead.contains(t)) ++resurrections;
      }
    }
  });

  std::vector<std::thread> issuers;
  for (int i = 0; i < kIssuers; ++i) {
    issuers.emplace_back([&, i] {
      HttpClient client;
      HttpResult r = client.send("POST", server_->url() + "/api/v1/account/token",
                                 {basic_header(svc.client_id, svc.client_secret),
                                  "User-Agent: issuer-" + std::to_string(i)});
      if (r.status != 200) {
        ++failures;
        return;
      }
      std::lock_guard lock(mu);
      issued.push_back(json_of(r)["access_token"]);
    });
  }
  for (auto& t : issuers) t.join();
  storm_over = true;
  store_checker.join();
  http_checker.join();

  EXPECT_EQ(failures, 0);
  ASSERT_EQ(issued.size(), static_cast<std::size_t>(kIssuers));
  EXPECT_EQ(store_violations, 0);
  EXPECT_EQ(resurrections, 0);
  int valid = 0;
  for (const auto& t : issued) {
    HttpResult r = me(t);
    if (r.status == 200) {
      ++valid;
    } else {
      EXPECT_EQ(json_of(r)["reason"], "superseded");
    }
  }
  EXPECT_EQ(valid, 1);
}

}  // namespace
}  // namespace latchkey::testing
