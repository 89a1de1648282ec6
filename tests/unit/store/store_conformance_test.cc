// Runs the Store conformance suite (store_conformance.h) over every backend
// built here: SQLite with group commit, and SQLite with batches of one and a
// single read connection (the degenerate configuration).
#include "unit/store/store_conformance.h"

#include <sqlite3.h>

#include <filesystem>

#include "store/faulty_store.h"
#include "store/store.h"

namespace latchkey::testing {
namespace {

// Counts account_tokens rows with a raw read-only connection of its own.
class SqliteLiveTokenProbe final : public LiveTokenProbe {
 public:
  explicit SqliteLiveTokenProbe(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM account_tokens WHERE user_id = ?", -1,
                           &count_, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "probe: " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteLiveTokenProbe() override {
    sqlite3_finalize(count_);
    sqlite3_close_v2(db_);
  }

  int count_live_tokens(std::string_view user_id) override {
    sqlite3_bind_text(count_, 1, user_id.data(), static_cast<int>(user_id.size()),
                      SQLITE_TRANSIENT);
    int live = -1;
    if (sqlite3_step(count_) == SQLITE_ROW) {
      live = sqlite3_column_int(count_, 0);
    } else {
      ADD_FAILURE() << "probe: " << sqlite3_errmsg(db_);
    }
    sqlite3_reset(count_);
    return live;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* count_ = nullptr;
};

StoreBackend sqlite_backend(std::string name, int read_connections, int max_batch) {
  StoreBackend backend;
  backend.name = std::move(name);
  backend.open = [=](const std::string& dir) -> std::unique_ptr<Store> {
    auto store = open_sqlite_store(StoreOptions{dir, read_connections, max_batch});
    if (!store) {
      ADD_FAILURE() << store.error().description;
      return nullptr;
    }
    return std::move(*store);
  };
  backend.open_probe = [](const std::string& dir) -> std::unique_ptr<LiveTokenProbe> {
    return std::make_unique<SqliteLiveTokenProbe>(
        (std::filesystem::path(dir) / "latchkey.db").string());
  };
  return backend;
}

// The fault injection decorator, disarmed: it must change nothing.
StoreBackend faults_disarmed_backend() {
  StoreBackend backend = sqlite_backend("FaultsDisarmed", 4, 256);
  backend.open = [](const std::string& dir) -> std::unique_ptr<Store> {
    auto store = open_sqlite_store(StoreOptions{dir, 4, 256});
    if (!store) {
      ADD_FAILURE() << store.error().description;
      return nullptr;
    }
    return make_faulty_store(std::move(*store), std::make_shared<FaultInjector>());
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(sqlite_backend("GroupCommit", 4, 256),
                                           sqlite_backend("Unbatched", 1, 1),
                                           faults_disarmed_backend()),
                         backend_name);

}  // namespace
}  // namespace latchkey::testing
