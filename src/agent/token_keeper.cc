#include "agent/token_keeper.h"

#include <algorithm>
#include <limits>

namespace latchkey::agent {
namespace {

std::string detail(const client::ClientError& error, std::string_view name) {
  for (const auto& [key, value] : error.details) {
    if (key == name) return value;
  }
  return {};
}

// initial * 2^(n-1), at most max; n >= 1.
std::int64_t doubling(std::int64_t initial, std::int64_t max, std::uint64_t n) {
  std::int64_t delay = initial;
  for (std::uint64_t i = 1; i < n && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

}  // namespace

const char* token_state_name(TokenState state) {
  switch (state) {
    case TokenState::kNone:
      return "none";
    case TokenState::kValid:
      return "valid";
    case TokenState::kSuperseded:
      return "superseded";
    case TokenState::kRefused:
      return "refused";
    case TokenState::kExpired:
      return "expired";
  }
  return "none";
}

TokenKeeper::TokenKeeper(RefreshPolicy policy, Issuer& issuer, Checker& checker, Publish publish,
                         client::UnixClock clock, AgentLog& log)
    : policy_(policy),
      issuer_(issuer),
      checker_(checker),
      publish_(std::move(publish)),
      clock_(clock ? std::move(clock) : client::system_unix_seconds),
      log_(log) {}

KeeperStatus TokenKeeper::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool TokenKeeper::needs_token_locked(std::int64_t now) const {
  return status_.state != TokenState::kValid || now >= status_.refresh_at;
}

std::int64_t TokenKeeper::retry_delay(std::uint64_t consecutive_failures) const {
  return doubling(policy_.retry_initial_seconds, policy_.retry_max_seconds,
                  std::max<std::uint64_t>(consecutive_failures, 1));
}

std::int64_t TokenKeeper::next_due_locked(std::int64_t now) const {
  std::int64_t due = std::numeric_limits<std::int64_t>::max();
  if (needs_token_locked(now)) due = status_.next_issue_at;
  if (status_.state == TokenState::kValid) {
    due = std::min({due, next_check_at_, current_->expires_at_unix});
    // Once due, the refresh waits for next_issue_at (a failed issuance's back-off).
    if (now < status_.refresh_at) due = std::min(due, status_.refresh_at);
  }
  return std::max(due, now);
}

void TokenKeeper::offer_previous(const client::Token& token, const std::string& client_id) {
  std::lock_guard lock(mu_);
  previous_.emplace(token, client_id);
}

TokenKeeper::Adoption TokenKeeper::try_adopt_previous(std::int64_t now) {
  client::Token token;
  std::string client_id;
  {
    std::lock_guard lock(mu_);
    token = previous_->first;
    client_id = previous_->second;
  }
  const auto reject = [this](const std::string& why) {
    std::lock_guard lock(mu_);
    previous_.reset();
    log_.info("not re-using the token left in the file sink by the previous run: " + why +
              "; issuing a new one");
    return Adoption::kRejected;
  };
  if (token.expires_at_unix <= now + policy_.check_interval_seconds) {
    return reject("it expires too soon");
  }
  auto owner = checker_.owner(token);
  now = clock_();
  if (!owner) {
    const client::ClientError& error = owner.error();
    const bool cannot_tell = error.kind == client::ErrorKind::kTransport ||
                             error.kind == client::ErrorKind::kRateLimited || error.status == 429 ||
                             error.status >= 500;
    if (!cannot_tell) return reject("the server refused it (" + error.message() + ")");
    std::lock_guard lock(mu_);
    ++status_.check_failures_total;
    status_.last_check_failed = true;
    const std::int64_t delay = retry_delay(++consecutive_issue_failures_);
    status_.next_issue_at = now + delay;
    status_.last_error = "cannot check the token left by the previous run: " + error.message();
    log_.warn(status_.last_error + "; retrying in " + std::to_string(delay) +
              " s rather than issuing a new token, which would supersede it");
    return Adoption::kUnreachable;
  }
  if (*owner != client_id) return reject("it belongs to another client");

  std::unique_lock lock(mu_);
  previous_.reset();
  consecutive_issue_failures_ = 0;
  current_ = token;
  status_.token = token;
  status_.state = TokenState::kValid;
  // When it was issued is unknown: the refresh point is placed within what
  // is left of its lifetime.
  status_.issued_at = now;
  status_.refresh_at =
      now + std::max<std::int64_t>(
                1, static_cast<std::int64_t>((token.expires_at_unix - now) * policy_.at_fraction));
  status_.last_check_ok_at = now;
  status_.last_check_failed = false;
  ++status_.checks_total;
  next_check_at_ = now + policy_.check_interval_seconds;
  log_.info(
      "re-using the token left in the file sink by the previous run (the server accepts "
      "it), valid until " +
      format_utc(token.expires_at_unix) + ", refreshed after " + format_utc(status_.refresh_at) +
      "; no new issuance");
  lock.unlock();
  const int failures = publish_ ? publish_(token) : 0;
  lock.lock();
  status_.sink_failures_total += static_cast<std::uint64_t>(failures);
  return Adoption::kAdopted;
}

std::int64_t TokenKeeper::step() {
  const std::int64_t now = clock_();
  bool issue_now = false;
  bool check_now = false;
  {
    std::lock_guard lock(mu_);
    if (status_.state == TokenState::kValid && now >= current_->expires_at_unix) {
      status_.state = TokenState::kExpired;
      status_.token.reset();
      status_.last_error = "the token expired before a new one could be obtained";
      log_.error(
          "the token expired before a new one could be obtained; readers get none until "
          "the server issues one");
    }
    if (needs_token_locked(now) && now >= status_.next_issue_at) {
      issue_now = true;
    } else if (status_.state == TokenState::kValid && now >= next_check_at_) {
      check_now = true;
    }
  }
  if (issue_now) issue(now);
  if (check_now) check(now);
  std::lock_guard lock(mu_);
  return next_due_locked(clock_());
}

void TokenKeeper::issue(std::int64_t now) {
  bool have_previous = false;
  {
    std::lock_guard lock(mu_);
    have_previous = previous_.has_value();
  }
  if (have_previous && try_adopt_previous(now) != Adoption::kRejected) return;
  auto issued = issuer_.issue();
  std::unique_lock lock(mu_);
  if (!issued) {
    ++status_.issue_failures_total;
    const std::int64_t delay = retry_delay(++consecutive_issue_failures_);
    // From the end of the attempt: the SDK may have waited out a 429.
    status_.next_issue_at = clock_() + delay;
    status_.last_error = "cannot obtain a token: " + issued.error().message();
    std::string hint;
    if (issued.error().status == 401) {
      hint =
          " The server refused the credential: check it (Client Secret reset, API key "
          "deactivated or expired, user disabled, API access turned off?); a secret file is "
          "re-read before every attempt.";
    }
    log_.error(status_.last_error + "; retrying in " + std::to_string(delay) + " s." + hint);
    return;
  }
  consecutive_issue_failures_ = 0;
  const client::Token token = std::move(*issued);
  const std::int64_t lifetime = std::max<std::int64_t>(token.expires_at_unix - now, 0);
  current_ = token;
  status_.token = token;
  status_.state = TokenState::kValid;
  status_.issued_at = now;
  status_.refresh_at =
      now + std::max<std::int64_t>(1, static_cast<std::int64_t>(lifetime * policy_.at_fraction));
  ++status_.issued_total;
  log_.info("obtained a new token (issuance #" + std::to_string(status_.issued_total) +
            "), valid until " + format_utc(token.expires_at_unix) + ", refreshed after " +
            format_utc(status_.refresh_at));
  lock.unlock();
  const int failures = publish_ ? publish_(token) : 0;
  lock.lock();
  status_.sink_failures_total += static_cast<std::uint64_t>(failures);
  lock.unlock();
  // Checked at once: a token superseded right away means another issuer is
  // racing this agent.
  check(now);
}

void TokenKeeper::check(std::int64_t now) {
  client::Token token;
  {
    std::lock_guard lock(mu_);
    token = *current_;
  }
  auto checked = checker_.check(token);
  now = clock_();  // schedules from the end of the request
  std::lock_guard lock(mu_);
  ++status_.checks_total;
  next_check_at_ = now + policy_.check_interval_seconds;
  if (checked) {
    status_.last_check_ok_at = now;
    status_.last_check_failed = false;
    consecutive_refusals_ = 0;
    return;
  }
  const client::ClientError& error = checked.error();
  if (error.kind == client::ErrorKind::kHttp && error.status == 401) {
    if (error.reason == "superseded") {
      on_superseded(error, now);
    } else {
      on_refused(error, now);
    }
    return;
  }
  ++status_.check_failures_total;
  status_.last_check_failed = true;
  status_.last_error = "cannot check the token with the server: " + error.message();
  log_.warn(status_.last_error + "; still handing out the current token, next check in " +
            std::to_string(policy_.check_interval_seconds) + " s");
}

void TokenKeeper::on_superseded(const client::ClientError& error, std::int64_t now) {
  SupersedeInfo info{.detected_at = now,
                     .at = detail(error, "superseded_at"),
                     .by_client_id = detail(error, "superseded_by_client_id"),
                     .by_ip = detail(error, "superseded_by_ip"),
                     .by_user_agent = detail(error, "superseded_by_user_agent")};
  const bool recent = status_.last_superseded &&
                      now - status_.last_superseded->detected_at < policy_.supersede_window_seconds;
  supersede_streak_ = recent ? supersede_streak_ + 1 : 1;
  const std::int64_t delay =
      supersede_streak_ <= 1
          ? 0
          : doubling(policy_.supersede_backoff_initial_seconds,
                     policy_.supersede_backoff_max_seconds, supersede_streak_ - 1);
  ++status_.superseded_total;
  status_.last_superseded = info;
  status_.state = TokenState::kSuperseded;
  status_.token.reset();
  status_.next_issue_at = now + delay;

  std::string who = "client " + (info.by_client_id.empty() ? "?" : info.by_client_id);
  if (!info.by_ip.empty()) who += " from " + info.by_ip;
  if (!info.by_user_agent.empty()) who += " (User-Agent \"" + info.by_user_agent + "\")";
  status_.last_error =
      "the token was superseded at " + (info.at.empty() ? "?" : info.at) + " by " + who;
  std::string message =
      "TOKEN SUPERSEDED: " + status_.last_error +
      ". Another process issued an account token with the same Client ID and Secret, which "
      "invalidated this agent's token for every reader. Find that process and make it read the "
      "token from this agent (socket or file sink) instead of issuing its own, or give it its own "
      "service account (seed 001). Supersede #" +
      std::to_string(status_.superseded_total) + " (" + std::to_string(supersede_streak_) +
      " within " + std::to_string(policy_.supersede_window_seconds) + " s); ";
  if (delay == 0) {
    message += "re-issuing now.";
  } else {
    message += "another issuer keeps superseding this agent: backing off, re-issuing in " +
               std::to_string(delay) + " s; readers get no token until then.";
  }
  log_.error(message);
}

void TokenKeeper::on_refused(const client::ClientError& error, std::int64_t now) {
  ++status_.refused_total;
  const std::int64_t delay = consecutive_refusals_ == 0 ? 0 : retry_delay(consecutive_refusals_);
  ++consecutive_refusals_;
  status_.state = TokenState::kRefused;
  status_.token.reset();
  status_.next_issue_at = now + delay;
  status_.last_error = "the server refused the token: " + error.message();
  log_.error(status_.last_error + "; re-issuing " +
             (delay == 0 ? std::string("now") : "in " + std::to_string(delay) + " s"));
}

}  // namespace latchkey::agent
