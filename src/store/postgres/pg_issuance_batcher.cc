#include "store/postgres/pg_issuance_batcher.h"

#include <algorithm>
#include <exception>

#include "core/encoding.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

IssuanceOutcome outcome_at(const Rows& rows, int row, int first_column) {
  IssuanceOutcome o;
  o.outcome = text_at(rows, row, first_column);
  o.window_issuances = int_at(rows, row, first_column + 1);
  o.several_addresses = bool_at(rows, row, first_column + 2);
  return o;
}

std::string bytea_text(const Digest& d) {
  return "\\x" + hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace

IssuanceBatcher::IssuanceBatcher(Database& db, int max_batch, int max_in_flight)
    : db_(db),
      max_batch_(static_cast<std::size_t>(std::max(1, max_batch))),
      max_in_flight_(std::max(1, max_in_flight)) {}

Result<IssuanceOutcome> IssuanceBatcher::issue(const AccountToken& token, Instant since,
                                               int threshold) {
  Pending me{&token, since, threshold};
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  for (;;) {
    if (me.result) return std::move(*me.result);
    if (in_flight_ < max_in_flight_ && !queue_.empty()) {
      // Lead a batch: what is queued now, up to max_batch (ours may be in a
      // later one; then we loop and lead or wait again). Everything that
      // can throw comes before the batch leaves the queue: a throw then
      // leaves no caller stranded (ours is taken out of the queue).
      const std::size_t n = std::min(max_batch_, queue_.size());
      std::vector<Pending*> batch;
      std::vector<Result<IssuanceOutcome>> results;
      try {
        batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        results.assign(n, fail(Error::internal("the issuance batch failed")));
      } catch (...) {
        std::erase(queue_, &me);
        if (!queue_.empty()) queue_.front()->wake.notify_one();
        throw;
      }
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      ++in_flight_;
      lock.unlock();
      try {
        auto outcomes = run(batch);
        if (outcomes.size() == n) results = std::move(outcomes);
      } catch (...) {
        // results keep "the issuance batch failed": no caller waits forever.
      }
      lock.lock();
      --in_flight_;
      stats_.issuances += n;
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, n);
      // Wake exactly who has something to do: the batch's callers, and the
      // first one queued meanwhile, to lead the next batch.
      for (std::size_t i = 0; i < n; ++i) {
        batch[i]->result = std::move(results[i]);
        batch[i]->wake.notify_one();
      }
      if (!queue_.empty()) queue_.front()->wake.notify_one();
      continue;
    }
    me.wake.wait(lock);
  }
}

IssuanceBatchStats IssuanceBatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t IssuanceBatcher::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

int IssuanceBatcher::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

std::vector<Result<IssuanceOutcome>> IssuanceBatcher::run(const std::vector<Pending*>& batch) {
  std::vector<Result<IssuanceOutcome>> results;
  results.reserve(batch.size());
  if (batch.size() > 1) {
    auto together = run_together(batch);
    if (together) {
      for (auto& outcome : *together) results.emplace_back(std::move(outcome));
      return results;
    }
    if (together.error().code == ErrorCode::kUnavailable &&
        together.error().reason != kLockTimeoutReason) {
      for (std::size_t i = 0; i < batch.size(); ++i) results.emplace_back(fail(together.error()));
      return results;
    }
    // One issuance's fault failed them all (and nothing committed): a
    // refused value, a digest live for another user, or one user's row
    // locked past lock_timeout (an admin's long transaction). Each on its
    // own now, so that only that one fails.
    std::lock_guard lock(mu_);
    ++stats_.split_batches;
  }
  for (const Pending* p : batch) results.push_back(run_alone(*p));
  return results;
}

Result<IssuanceOutcome> IssuanceBatcher::run_alone(const Pending& p) {
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
  }
  const AccountToken& t = *p.token;
  auto rows = db_.read([&](Connection& c) {
    return c.exec(
        "SELECT outcome, window_issuances, several_addresses FROM lk_issue_account_token("
        "$1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8::bigint, $9::integer)",
        {digest(t.digest), text(t.user_id), text(t.client_id), instant(t.issued_at),
         instant(t.expires_at), text(t.issuer_ip), text(t.issuer_user_agent), instant(p.since),
         integer(p.threshold)});
  });
  if (!rows) return fail(rows.error());
  return outcome_at(*rows, 0, 0);
}

Result<std::vector<IssuanceOutcome>> IssuanceBatcher::run_together(
    const std::vector<Pending*>& batch) {
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
  }
  // Lock order: by user id (byte-wise, as COLLATE "C"); stable, so that two
  // issuances of one user keep their arrival order.
  std::vector<std::size_t> order(batch.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return batch[a]->token->user_id < batch[b]->token->user_id;
  });
  std::vector<std::string> digests, user_ids, client_ids, ips, user_agents;
  std::vector<std::int64_t> issued_at, expires_at, since, thresholds;
  for (const std::size_t i : order) {
    const Pending& p = *batch[i];
    const AccountToken& t = *p.token;
    digests.push_back(bytea_text(t.digest));
    user_ids.push_back(t.user_id);
    client_ids.push_back(t.client_id);
    issued_at.push_back(to_unix_millis(t.issued_at));
    expires_at.push_back(to_unix_millis(t.expires_at));
    ips.push_back(t.issuer_ip);
    user_agents.push_back(t.issuer_user_agent);
    since.push_back(to_unix_millis(p.since));
    thresholds.push_back(p.threshold);
  }
  auto rows = db_.read([&](Connection& c) {
    return c.exec(
        "SELECT ord, outcome, window_issuances, several_addresses FROM "
        "lk_issue_account_tokens($1::bytea[], "
        "$2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], "
        "$8::bigint[], $9::integer[])",
        {array_param(std::span<const std::string>(digests)),
         array_param(std::span<const std::string>(user_ids)),
         array_param(std::span<const std::string>(client_ids)),
         array_param(std::span<const std::int64_t>(issued_at)),
         array_param(std::span<const std::int64_t>(expires_at)),
         array_param(std::span<const std::string>(ips)),
         array_param(std::span<const std::string>(user_agents)),
         array_param(std::span<const std::int64_t>(since)),
         array_param(std::span<const std::int64_t>(thresholds))});
  });
  if (!rows) return fail(rows.error());
  if (rows->size() != static_cast<int>(batch.size())) {
    return fail(Error::internal("lk_issue_account_tokens answered " + std::to_string(rows->size()) +
                                " rows for " + std::to_string(batch.size()) + " issuances"));
  }
  std::vector<IssuanceOutcome> outcomes(batch.size());
  for (int r = 0; r < rows->size(); ++r) {
    const std::int64_t ord = int_at(*rows, r, 0);  // 1-based, in sorted order
    if (ord < 1 || ord > static_cast<std::int64_t>(order.size())) {
      return fail(Error::internal("lk_issue_account_tokens answered an unknown ordinal"));
    }
    outcomes[order[static_cast<std::size_t>(ord - 1)]] = outcome_at(*rows, r, 1);
  }
  return outcomes;
}

}  // namespace latchkey::pg
