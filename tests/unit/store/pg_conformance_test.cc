// Runs the Store conformance suite (store_conformance.h) over the PostgreSQL
// backend: one server for the binary (support/postgres_server.h), a fresh
// schema per test directory, so that reopen() finds the same state.
#include <libpq-fe.h>

#include <map>
#include <mutex>

#include "store/postgres/pg_store.h"
#include "support/postgres_server.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

// The schema URL of each test directory, made on first open.
std::string url_for(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::string> urls;
  std::lock_guard lock(mutex);
  auto it = urls.find(dir);
  if (it == urls.end()) it = urls.emplace(dir, fresh_schema_url("store")).first;
  return it->second;
}

// Counts account_tokens rows with a libpq connection of its own.
class PgLiveTokenProbe final : public LiveTokenProbe {
 public:
  explicit PgLiveTokenProbe(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) ADD_FAILURE() << "probe: " << PQerrorMessage(conn_);
  }
  ~PgLiveTokenProbe() override { PQfinish(conn_); }

  int count_live_tokens(std::string_view user_id) override {
    const std::string id(user_id);
    const char* values[] = {id.c_str()};
    PGresult* result = PQexecParams(conn_, "SELECT COUNT(*) FROM account_tokens WHERE user_id = $1",
                                    1, nullptr, values, nullptr, nullptr, 0);
    int live = -1;
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
      live = std::atoi(PQgetvalue(result, 0, 0));
    } else {
      ADD_FAILURE() << "probe: " << PQresultErrorMessage(result);
    }
    PQclear(result);
    return live;
  }

 private:
  PGconn* conn_;
};

StoreBackend postgres_backend() {
  StoreBackend backend;
  backend.name = "Pg";
  backend.open = [](const std::string& dir) -> std::unique_ptr<Store> {
    const std::string url = url_for(dir);
    if (url.empty()) return nullptr;
    auto store = pg::PgStore::open(pg::PgStoreOptions{url, 8});
    if (!store) {
      ADD_FAILURE() << store.error().description;
      return nullptr;
    }
    return std::move(*store);
  };
  backend.open_probe = [](const std::string& dir) -> std::unique_ptr<LiveTokenProbe> {
    return std::make_unique<PgLiveTokenProbe>(url_for(dir));
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest, ::testing::Values(postgres_backend()),
                         backend_name);

}  // namespace
}  // namespace latchkey::testing
