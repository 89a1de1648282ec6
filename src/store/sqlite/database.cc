#include "store/sqlite/database.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "metrics/metrics.h"
#include "store/sqlite/crash_at_sync_vfs.h"
#include "store/sqlite/migrations.h"

namespace latchkey::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr std::string_view kDatabaseFile = "latchkey.db";

// Creates `dir` (and its parents) when missing; the directory itself is made
// mode 0700 since it holds the whole database.
Status ensure_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  const fs::path path(dir);
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(
        Error::unavailable("store: cannot create the data directory " + dir + ": " + ec.message()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(Error::unavailable("store: cannot create the data directory " + dir + ": " +
                                   std::strerror(errno)));
  }
  return {};
}

// The write connection: WAL so that readers never block the writer, FULL
// sync so that a commit is durable when it returns (invariant 5), foreign
// keys on.
Status configure_writer(Connection& connection) {
  auto mode = connection.prepare("PRAGMA journal_mode = WAL");
  if (!mode) return fail(mode.error());
  auto row = mode->step();
  if (!row) return fail(row.error());
  if (!*row || mode->text_at(0) != "wal") {
    return fail(Error::unavailable("store: the database cannot be switched to WAL mode"));
  }
  return connection.execute_script("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const StoreOptions& options) {
  if (options.data_dir.empty()) {
    return fail(Error::invalid_request("store: data_dir must be set"));
  }
  if (options.read_connections < 1 || options.max_batch < 1) {
    return fail(Error::invalid_request("store: read_connections and max_batch must be at least 1"));
  }
  if (auto s = ensure_data_dir(options.data_dir); !s) return fail(s.error());
  install_crash_at_sync_vfs_if_armed();  // tests only (core/crash_points.h)
  auto lock = DirectoryLock::acquire(options.data_dir);
  if (!lock) return fail(lock.error());
  const std::string path =
      (std::filesystem::path(options.data_dir) / std::string(kDatabaseFile)).string();

  auto writer = Connection::open(path, Connection::Access::kReadWrite, kBusyTimeoutMs);
  if (!writer) return fail(writer.error());
  if (auto s = configure_writer(**writer); !s) return fail(s.error());
  if (auto applied = migrate(**writer); !applied) return fail(applied.error());

  auto readers = ReadPool::open(path, options.read_connections, kBusyTimeoutMs);
  if (!readers) return fail(readers.error());

  auto batcher = std::make_unique<WriteBatcher>(std::move(*writer), options.max_batch);
  return std::unique_ptr<Database>(
      new Database(std::move(*lock), std::move(*readers), std::move(batcher)));
}

Database::Database(DirectoryLock lock, std::unique_ptr<ReadPool> readers,
                   std::unique_ptr<WriteBatcher> writer)
    : lock_(std::move(lock)), readers_(std::move(readers)), writer_(std::move(writer)) {}

Database::~Database() {
  // Readers first, so that the writer's connection is the last one to close:
  // it checkpoints the WAL into the database and removes it.
  readers_.reset();
  writer_.reset();  // runs every queued write, then joins the writer thread
}

void observe_store_latency(std::string_view op, std::chrono::steady_clock::duration took) {
  static auto& family = metrics::default_registry().histogram_family(
      "latchkey_store_seconds", "Store operation latency (write: until durable).", {"op"});
  static metrics::Histogram& reads = family.with({"read"});
  static metrics::Histogram& writes = family.with({"write"});
  (op == "write" ? writes : reads).observe(std::chrono::duration<double>(took).count());
}

}  // namespace latchkey::sqlite
