// The agent's core: keeps one token fresh and valid, without threads and
// without sleeping. The caller runs step() whenever the time it returned has
// come (agent.cc waits on a condition variable; tests move a fake clock).
//
// At each step, by priority:
//   1. no usable token (none yet, refused by the server, or due for refresh
//      at refresh.at_fraction of its lifetime) and the back-off has passed:
//      issue one, publish it (file sinks), and check it at once;
//   2. the check interval has passed: GET /api/v1/account/me with the token.
// A check that answers 401 `superseded` means another process issued a
// token for the same user (seed 000: every issuance deletes every earlier
// token of the user). The keeper logs it as an error naming who did it,
// counts it, and re-issues: at once the first time, then, while supersedes
// keep coming within refresh.supersede_window_seconds, after a doubling
// back-off so that two issuers never fight in a tight loop. A check that
// cannot reach the server keeps the token (it is still believed valid).
//
// Thread-safety: step() from one thread at a time; status() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "agent/agent_config.h"
#include "agent/agent_log.h"
#include "latchkey/client/error.h"
#include "latchkey/client/token.h"
#include "latchkey/client/token_source.h"

namespace latchkey::agent {

// Obtains a new token from the server (every call is a new issuance).
class Issuer {
 public:
  virtual ~Issuer() = default;
  virtual client::Result<client::Token> issue() = 0;
};

// Asks the server whether `token` is still accepted (GET
// /api/v1/account/me). A refusal is ErrorKind::kHttp with the server's
// status and reason.
class Checker {
 public:
  virtual ~Checker() = default;
  virtual client::Status check(const client::Token& token) = 0;
  // The client id the server says `token` belongs to ("" when it does not
  // say); fails as check() does.
  virtual client::Result<std::string> owner(const client::Token& token) = 0;
};

// Writes a new token to the file sinks; returns how many failed (each
// failure is logged by the publisher).
using Publish = std::function<int(const client::Token&)>;

enum class TokenState {
  kNone,        // nothing issued yet
  kValid,       // issued, and the last check (if any) accepted it or could not tell
  kSuperseded,  // the server said another issuance replaced it
  kRefused,     // the server refused it for another reason (revoked, user disabled, ...)
  kExpired,     // its expiry has passed without a replacement
};

const char* token_state_name(TokenState state);

struct SupersedeInfo {
  std::int64_t detected_at = 0;  // unix seconds, agent's clock
  std::string at;                // the server's superseded_at
  std::string by_client_id;
  std::string by_ip;
  std::string by_user_agent;
};

// A copy of the keeper's state, for GET /token and GET /healthz.
struct KeeperStatus {
  TokenState state = TokenState::kNone;
  std::optional<client::Token> token;  // present only when it may be handed out
  std::int64_t issued_at = 0;
  std::int64_t refresh_at = 0;
  std::int64_t next_issue_at = 0;  // when the next issuance may happen (back-off)
  std::int64_t last_check_ok_at = 0;
  bool last_check_failed = false;  // the server could not be asked
  std::uint64_t issued_total = 0;
  std::uint64_t issue_failures_total = 0;
  std::uint64_t checks_total = 0;
  std::uint64_t check_failures_total = 0;
  std::uint64_t superseded_total = 0;
  std::uint64_t refused_total = 0;
  std::uint64_t sink_failures_total = 0;
  std::optional<SupersedeInfo> last_superseded;
  std::string last_error;  // never contains a secret or a token
};

class TokenKeeper {
 public:
  TokenKeeper(RefreshPolicy policy, Issuer& issuer, Checker& checker, Publish publish,
              client::UnixClock clock, AgentLog& log);

  // Before the first step: a token found in a file sink, left by a previous
  // run. The first issuance takes it over instead of issuing (publishing it
  // to every sink) if the server accepts it as a token of `client_id` and it
  // is valid for longer than the check interval. While the server cannot be
  // reached, the attempt is retried with the issuance back-off rather than
  // issuing a token that would supersede the one readers hold.
  void offer_previous(const client::Token& token, const std::string& client_id);

  // Does what is due now; returns the unix second at which to call again.
  std::int64_t step();

  KeeperStatus status() const;

 private:
  enum class Adoption { kAdopted, kRejected, kUnreachable };
  Adoption try_adopt_previous(std::int64_t now);
  bool needs_token_locked(std::int64_t now) const;
  void issue(std::int64_t now);
  void check(std::int64_t now);
  void on_superseded(const client::ClientError& error, std::int64_t now);
  void on_refused(const client::ClientError& error, std::int64_t now);
  std::int64_t retry_delay(std::uint64_t consecutive_failures) const;
  std::int64_t next_due_locked(std::int64_t now) const;

  const RefreshPolicy policy_;
  Issuer& issuer_;
  Checker& checker_;
  const Publish publish_;
  const client::UnixClock clock_;
  AgentLog& log_;

  mutable std::mutex mu_;
  KeeperStatus status_;                           // guarded by mu_
  std::optional<client::Token> current_;          // guarded by mu_; even when no longer valid
  std::int64_t next_check_at_ = 0;                // guarded by mu_
  std::uint64_t consecutive_issue_failures_ = 0;  // guarded by mu_
  std::uint64_t supersede_streak_ = 0;            // guarded by mu_
  std::uint64_t consecutive_refusals_ = 0;        // guarded by mu_
  // (token, client id) offered by offer_previous(); guarded by mu_
  std::optional<std::pair<client::Token, std::string>> previous_;
};

}  // namespace latchkey::agent
