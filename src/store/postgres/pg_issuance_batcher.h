// IssuanceBatcher: a node's concurrent account-token issuances sent to
// PostgreSQL together, so that many share one statement, one transaction
// and one WAL flush (a group commit, as SQLite's WriteBatcher does for the
// embedded store). Durable issuance is bound by commits, not by rows: one
// flush per issuance caps a node at the disk's flush rate.
//
// issue() queues the issuance. While fewer than `max_in_flight` batches are
// at the server, the calling thread takes up to `max_batch` queued
// issuances (its own and others') and runs them as one call of
// lk_issue_account_tokens (schema 105), ordered by user id so that batches
// of several nodes lock users in one order; a batch of one runs
// lk_issue_account_token itself. Otherwise it waits: batches form while
// others are at the server, and nothing waits for a timer.
//
// Each issuance gets its own outcome. A batch that fails as a whole for a
// reason of one issuance (a digest live for another user, a refused text, a
// user's row held past lock_timeout) is run again one issuance at a time,
// so that only that one fails; a batch that fails because the store is
// unavailable fails every issuance in it (nothing was acknowledged).
// Running an issuance again after a broken connection is exact: a digest
// already issued to its user, live or ended since, is not issued again
// (lk_issue_account_token), so a batch may be run again too.
//
// Thread-safety: issue() and stats() may be called from any thread; the
// batcher must outlive every call.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/postgres/pg_database.h"
#include "store/records.h"

namespace latchkey::pg {

struct IssuanceOutcome {
  std::string outcome;  // "issued", "no_user" or "disabled"
  // When watched (threshold > 0): an issuance of this user in the window
  // came from another address; only then, the user's issuances in the
  // window, counted up to threshold + 1.
  bool several_addresses = false;
  std::int64_t window_issuances = 0;
};

struct IssuanceBatchStats {
  std::uint64_t issuances = 0;
  std::uint64_t batches = 0;  // statements sent (a batch of one included)
  std::uint64_t largest_batch = 0;
  std::uint64_t split_batches = 0;  // batches run again one issuance at a time
};

class IssuanceBatcher {
 public:
  IssuanceBatcher(Database& db, int max_batch, int max_in_flight);

  // Issues `token` (lk_issue_account_token's rules) and, when `threshold` >
  // 0, looks at the user's issuances after `since` (IssuanceOutcome).
  // Returns once its batch committed.
  Result<IssuanceOutcome> issue(const AccountToken& token, Instant since, int threshold);

  IssuanceBatchStats stats() const;
  // Issuances waiting for a batch, and batches at the server (tests).
  std::size_t queued() const;
  int in_flight() const;

 private:
  struct Pending {
    const AccountToken* token;
    Instant since;
    int threshold;
    std::optional<Result<IssuanceOutcome>> result;  // guarded by mu_
    std::condition_variable wake;  // result set, or first in the queue with room to lead
  };

  // Runs one batch; returns each issuance's outcome, in batch order.
  std::vector<Result<IssuanceOutcome>> run(const std::vector<Pending*>& batch);
  Result<std::vector<IssuanceOutcome>> run_together(const std::vector<Pending*>& batch);
  Result<IssuanceOutcome> run_alone(const Pending& p);

  Database& db_;
  const std::size_t max_batch_;
  const int max_in_flight_;

  mutable std::mutex mu_;
  std::deque<Pending*> queue_;  // guarded by mu_
  int in_flight_ = 0;           // guarded by mu_
  IssuanceBatchStats stats_;    // guarded by mu_
};

}  // namespace latchkey::pg
