// SqliteStore: the embedded Store, one SQLite database in WAL mode at
// <data_dir>/latchkey.db.
//
// Writes go through one WriteBatcher (a single writer thread with group
// commit, synchronous=FULL: a write returns only once it is on disk); reads
// borrow a connection from a ReadPool and run concurrently with the writer.
// Every operation that keeps an invariant runs as one write job, so it is
// one transaction (see store.h).
//
// Thread-safety: every method may be called from any thread concurrently
// (as store.h promises). Destruction waits for queued writes to finish; no
// call may be in progress on another thread when it starts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/directory_lock.h"
#include "store/sqlite/read_pool.h"
#include "store/sqlite/write_batcher.h"
#include "store/store.h"

namespace latchkey {

class SqliteStore final : public Store {
 public:
  // Creates data_dir (mode 0700) and the database as needed, applies missing
  // migrations and starts the writer. kUnavailable when the database cannot
  // be opened or was written by a newer latchkey; kInvalidRequest for bad
  // options.
  static Result<std::unique_ptr<SqliteStore>> open(const StoreOptions& options);
  ~SqliteStore() override;

  Result<User> create_user(const NewUser& user) override;
  Result<User> get_user(std::string_view id) override;
  Result<std::optional<User>> find_user_by_name(std::string_view name) override;
  Result<std::vector<User>> list_users() override;
  Result<User> update_user(std::string_view id, const UserUpdate& update, Instant now) override;
  Result<bool> bootstrap_first_user(const NewUser& user,
                                    const ClientCredential& credential) override;

  Status put_client_credential(const ClientCredential& credential) override;
  Result<ClientCredential> set_client_secret(std::string_view user_id,
                                             std::string_view client_id_if_new,
                                             const Digest& secret_digest, Instant at,
                                             bool only_if_none) override;
  Result<std::optional<ClientCredential>> find_client_credential(
      std::string_view client_id) override;
  Result<std::optional<ClientCredential>> client_credential_of_user(
      std::string_view user_id) override;

  Status issue_account_token(const AccountToken& token) override;
  Result<AccountTokenLookup> find_account_token(const Digest& digest) override;
  Result<bool> end_account_token(const Digest& digest, TokenEndReason reason, Instant at) override;
  Result<int> end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                         Instant at) override;
  Result<int> prune_tombstones(Instant now) override;

  // Group-commit counters, for benchmarks and metrics.
  sqlite::WriteStats write_stats() const { return writer_->stats(); }

 private:
  SqliteStore(sqlite::DirectoryLock lock, std::unique_ptr<sqlite::ReadPool> readers,
              std::unique_ptr<sqlite::WriteBatcher> writer);

  // Runs `job` (Connection& -> Result<T> or Status) as one write job.
  template <class Job>
  auto write(Job&& job);
  // Runs `query` (Connection& -> Result<T>) in one read transaction on a
  // borrowed read connection.
  template <class Query>
  auto read(Query&& query);

  sqlite::DirectoryLock lock_;  // declared first: released after the connections close
  std::unique_ptr<sqlite::ReadPool> readers_;
  std::unique_ptr<sqlite::WriteBatcher> writer_;
};

}  // namespace latchkey
