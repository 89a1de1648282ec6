#include "console_auth/console_auth_service.h"

#include <algorithm>

#include "console_auth/password.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "core/secret.h"

namespace latchkey::console_auth {
namespace {

Error invalid_credentials() {
  return Error::invalid_client("the username or password is wrong")
      .with_reason("invalid_credentials");
}

Error session_refused(std::string reason, std::string description) {
  return Error::invalid_token(std::move(reason), std::move(description));
}

Error hashing_busy() {
  return Error::unavailable("too many sign-ins are being checked; try again in a moment")
      .with_reason("password_hashing_busy");
}

Error invitation_invalid() {
  return Error::not_found("the invitation is unknown, used or expired")
      .with_reason("invitation_invalid");
}

}  // namespace

ConsoleAuthService::ConsoleAuthService(Store& store, const Clock& clock, Random& random,
                                       ConsoleAuthOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      options_(options),
      hashing_gate_(options.hashing_slots) {
  // The fixed hash for unknown users is made now, not at the first unknown
  // sign-in (which would then take twice as long: a timing oracle).
  prepare_dummy_hash();
}

void ConsoleAuthService::set_token_revoker(std::function<void(const ConsoleSessionToken&)> revoke) {
  std::lock_guard lock(mu_);
  revoke_token_ = std::move(revoke);
}

Status ConsoleAuthService::note_session_token(const ConsoleSessionToken& token) {
  return store_.console().add_console_session_token(token);
}

std::string ConsoleAuthService::csrf_token_for(std::string_view cookie_secret) {
  const Digest d = digest_secret("latchkey console csrf\n" + std::string(cookie_secret));
  return hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

void ConsoleAuthService::session_ended(const std::string& session_id) {
  std::function<void(const ConsoleSessionToken&)> revoke;
  {
    std::lock_guard lock(mu_);
    ++ended_epoch_;
    seen_.erase(session_id);
    seen_written_.erase(session_id);
    revoke = revoke_token_;
  }
  if (!revoke) return;
  auto tokens = store_.console().console_session_tokens(session_id, clock_.now());
  // A failed read leaves the tokens to their own expiry (at most 300 s).
  if (!tokens) return;
  for (const ConsoleSessionToken& token : *tokens) revoke(token);
}

std::uint64_t ConsoleAuthService::ended_epoch() const {
  std::lock_guard lock(mu_);
  return ended_epoch_;
}

void ConsoleAuthService::forget_seen(const std::string& session_id) {
  std::lock_guard lock(mu_);
  ++ended_epoch_;
  seen_.erase(session_id);
  seen_written_.erase(session_id);
}

void ConsoleAuthService::revoke_tokens_of_user(std::string_view user_id) {
  std::function<void(const ConsoleSessionToken&)> revoke;
  {
    std::lock_guard lock(mu_);
    revoke = revoke_token_;
  }
  if (!revoke) return;
  auto tokens = store_.console().console_session_tokens_of_user(user_id, clock_.now());
  // A failed read leaves the tokens to their own expiry (at most 300 s,
  // never past their session's).
  if (!tokens) return;
  for (const ConsoleSessionToken& token : *tokens) revoke(token);
}

Result<SignedIn> ConsoleAuthService::sign_in(const SignInRequest& request) {
  auto slot = hashing_gate_.acquire(options_.hashing_wait);
  if (!slot) return fail(hashing_busy());
  if (request.password.size() > kMaxPasswordBytes) {
    verify_against_dummy("");
    return fail(invalid_credentials());
  }
  auto found = store_.find_user_by_name(request.username);
  if (!found) return fail(found.error());
  std::optional<std::string> hash;
  if (*found) {
    auto stored = store_.console().console_password_hash((*found)->id);
    if (!stored) return fail(stored.error());
    hash = std::move(*stored);
  }
  // One verification whatever the case, so that time says nothing.
  const bool matches = hash ? verify_password(*hash, request.password)
                            : (verify_against_dummy(request.password), false);
  slot.reset();
  if (!matches) return fail(invalid_credentials());
  const User& user = **found;
  if (user.type != UserType::kHuman || user.disabled) return fail(invalid_credentials());

  const Instant now = clock_.now();
  SignedIn out;
  out.cookie_secret = generate_secret(SecretKind::kConsoleSession, random_);
  out.csrf_token = csrf_token_for(out.cookie_secret);
  ConsoleSession& session = out.view.session;
  session.id = new_id("ses_", random_);
  session.secret_digest = digest_secret(out.cookie_secret);
  session.csrf_digest = digest_secret(out.csrf_token);
  session.user_id = user.id;
  session.created_at = now;
  session.last_seen_at = now;
  session.expires_at = now + options_.absolute;
  session.ip = request.ip;
  session.user_agent = request.user_agent.substr(0, 256);
  if (auto s = store_.console().create_console_session(session); !s) return fail(s.error());
  out.view.user = user;
  out.view.idle_expires_at = std::min(now + options_.idle, session.expires_at);
  return out;
}

Instant ConsoleAuthService::last_seen(const ConsoleSession& session) {
  std::lock_guard lock(mu_);
  auto it = seen_.find(session.id);
  return it == seen_.end() ? session.last_seen_at : std::max(it->second, session.last_seen_at);
}

Instant ConsoleAuthService::idle_expires_at(const ConsoleSession& session) const {
  Instant seen = session.last_seen_at;
  {
    std::lock_guard lock(mu_);
    auto it = seen_.find(session.id);
    if (it != seen_.end()) seen = std::max(seen, it->second);
  }
  return std::min(seen + options_.idle, session.expires_at);
}

Result<SessionView> ConsoleAuthService::lookup(std::string_view cookie_secret) {
  if (!is_well_formed_secret(cookie_secret, SecretKind::kConsoleSession)) {
    return fail(session_refused("session_invalid", "no valid console session"));
  }
  const std::uint64_t epoch_at_start = ended_epoch();
  auto found = store_.console().find_console_session_by_secret(digest_secret(cookie_secret));
  if (!found) return fail(found.error());
  if (!*found || !digests_equal((*found)->secret_digest, digest_secret(cookie_secret))) {
    return fail(session_refused("session_invalid", "no valid console session"));
  }
  ConsoleSession session = std::move(**found);
  if (session.ended_at) {
    return fail(session_refused("session_ended", "the console session has ended"));
  }
  const Instant now = clock_.now();
  const Instant seen = last_seen(session);
  if (now >= session.expires_at || now >= seen + options_.idle) {
    forget_seen(session.id);
    return fail(session_refused("session_expired", "the console session has expired"));
  }
  // The user as of now: a disabled user's sessions end here (fail closed).
  auto user = store_.get_user(session.user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return fail(session_refused("session_invalid", "no valid console session"));
    }
    return fail(user.error());
  }
  if (user->disabled || user->type != UserType::kHuman) {
    (void)end_sessions_of_user(user->id, "user_disabled");
    return fail(session_refused("user_disabled", "the user is disabled"));
  }
  // Refresh: in memory now, in the store when the stored time is stale.
  // A session that ended while this lookup ran (its end erased the entry)
  // must not be added back: its end bumps ended_epoch_, and then the
  // session is read again before it is refreshed.
  if (ended_epoch() != epoch_at_start) {
    auto again = store_.console().find_console_session(session.id);
    if (!again) return fail(again.error());
    if (!*again || (*again)->ended_at) {
      return fail(session_refused("session_ended", "the console session has ended"));
    }
  }
  bool write = false;
  {
    std::lock_guard lock(mu_);
    seen_[session.id] = now;
    auto written = seen_written_.find(session.id);
    const Instant stored = written == seen_written_.end()
                               ? session.last_seen_at
                               : std::max(written->second, session.last_seen_at);
    if (now - stored >= options_.seen_write_interval) {
      seen_written_[session.id] = now;
      write = true;
    }
  }
  if (write) {
    // A failed write only makes the stored time older (never a pass).
    (void)store_.console().note_console_sessions_seen({ConsoleSessionSeen{session.id, now}});
  }
  session.last_seen_at = now;
  SessionView view{std::move(session), std::move(*user), {}};
  view.idle_expires_at = std::min(now + options_.idle, view.session.expires_at);
  return view;
}

bool ConsoleAuthService::csrf_matches(const ConsoleSession& session, std::string_view token) {
  if (token.empty()) return false;
  return digests_equal(session.csrf_digest, digest_secret(token));
}

Status ConsoleAuthService::sign_out(std::string_view session_id) {
  auto ended = store_.console().end_console_session(session_id, clock_.now(), "signed_out");
  if (!ended) return fail(ended.error());
  session_ended(std::string(session_id));
  return {};
}

Result<std::vector<SessionView>> ConsoleAuthService::sessions_of(std::string_view user_id) {
  auto user = store_.get_user(user_id);
  if (!user) return fail(user.error());
  auto open = store_.console().open_console_sessions_of_user(user_id);
  if (!open) return fail(open.error());
  const Instant now = clock_.now();
  std::vector<SessionView> out;
  for (ConsoleSession& session : *open) {
    const Instant idle_end = idle_expires_at(session);
    if (now >= idle_end) continue;  // expired (idle or absolute)
    session.last_seen_at = last_seen(session);
    out.push_back(SessionView{std::move(session), *user, idle_end});
  }
  return out;
}

Status ConsoleAuthService::revoke(const Principal& actor, std::string_view session_id) {
  auto found = store_.console().find_console_session(session_id);
  if (!found) return fail(found.error());
  if (!*found || (*found)->ended_at || ((*found)->user_id != actor.user_id && !actor.is_admin())) {
    return fail(Error::not_found("no such console session"));
  }
  auto ended = store_.console().end_console_session(session_id, clock_.now(), "revoked");
  if (!ended) return fail(ended.error());
  session_ended(std::string(session_id));
  return {};
}

Status ConsoleAuthService::end_sessions_of_user(std::string_view user_id, std::string_view reason) {
  auto open = store_.console().open_console_sessions_of_user(user_id);
  if (!open) return fail(open.error());
  auto ended = store_.console().end_console_sessions_of_user(user_id, clock_.now(), reason);
  if (!ended) return fail(ended.error());
  for (const ConsoleSession& session : *open) forget_seen(session.id);
  revoke_tokens_of_user(user_id);
  return {};
}

Result<IssuedInvitation> ConsoleAuthService::invite(std::string_view user_id) {
  auto user = store_.get_user(user_id);
  if (!user) return fail(user.error());
  if (user->type != UserType::kHuman) {
    return fail(Error::conflict("service accounts never sign in to the console")
                    .with_reason("service_account"));
  }
  const Instant now = clock_.now();
  IssuedInvitation out;
  out.token = generate_secret(SecretKind::kInvitation, random_);
  out.expires_at = now + options_.invitation_ttl;
  ConsoleInvitation invitation{digest_secret(out.token), user->id, now, out.expires_at, {}};
  if (auto s = store_.console().put_console_invitation(invitation); !s) return fail(s.error());
  return out;
}

Result<InvitationInfo> ConsoleAuthService::inspect_invitation(std::string_view token) {
  if (!is_well_formed_secret(token, SecretKind::kInvitation)) return fail(invitation_invalid());
  auto found = store_.console().find_console_invitation(digest_secret(token));
  if (!found) return fail(found.error());
  if (!*found || (*found)->used_at || (*found)->expires_at <= clock_.now() ||
      !digests_equal((*found)->token_digest, digest_secret(token))) {
    return fail(invitation_invalid());
  }
  auto user = store_.get_user((*found)->user_id);
  if (!user) return fail(user.error());
  return InvitationInfo{user->name, (*found)->expires_at};
}

Status ConsoleAuthService::accept_invitation(std::string_view token, std::string_view password) {
  if (!is_well_formed_secret(token, SecretKind::kInvitation)) return fail(invitation_invalid());
  if (auto s = check_password_rules(password); !s) return s;
  auto found = store_.console().find_console_invitation(digest_secret(token));
  if (!found) return fail(found.error());
  if (!*found) return fail(invitation_invalid());
  auto open = store_.console().open_console_sessions_of_user((*found)->user_id);
  if (!open) return fail(open.error());
  auto slot = hashing_gate_.acquire(options_.hashing_wait);
  if (!slot) return fail(hashing_busy());
  auto hash = hash_password(password);
  slot.reset();
  if (!hash) return fail(hash.error());
  auto accepted =
      store_.console().accept_console_invitation(digest_secret(token), *hash, clock_.now());
  if (!accepted) return fail(accepted.error());
  for (const ConsoleSession& session : *open) forget_seen(session.id);
  revoke_tokens_of_user(accepted->user_id);
  return {};
}

Result<int> ConsoleAuthService::prune() {
  // In memory: a session unused for the idle time has expired (or ended);
  // its last use is of no more interest.
  const Instant now = clock_.now();
  {
    std::lock_guard lock(mu_);
    std::erase_if(seen_, [&](const auto& entry) {
      if (now - entry.second < options_.idle) return false;
      seen_written_.erase(entry.first);
      return true;
    });
  }
  return store_.console().prune_console_sessions(now - std::chrono::hours(24));
}

Status ConsoleAuthService::flush_seen() {
  std::vector<ConsoleSessionSeen> pending;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, at] : seen_) {
      auto written = seen_written_.find(id);
      if (written == seen_written_.end() || written->second < at) {
        pending.push_back(ConsoleSessionSeen{id, at});
        seen_written_[id] = at;
      }
    }
  }
  return store_.console().note_console_sessions_seen(pending);
}

}  // namespace latchkey::console_auth
