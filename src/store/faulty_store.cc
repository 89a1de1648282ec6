#include "store/faulty_store.h"

#include <functional>
#include <string>
#include <utility>

#include "store/audit_store.h"
#include "store/console_store.h"
#include "store/event_outbox_store.h"
#include "store/key_store.h"
#include "store/policy_store.h"
#include "store/revoked_token_store.h"
#include "store/session_store.h"
#include "store/signing_key_store.h"
#include "store/usage_store.h"

namespace latchkey {

void FaultInjector::arm(const Plan& plan) {
  std::lock_guard lock(mu_);
  plan_ = plan;
  stats_ = {};
}

FaultInjector::Stats FaultInjector::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<FaultInjector::Point> FaultInjector::next() {
  std::lock_guard lock(mu_);
  const std::uint64_t n = ++stats_.writes;
  if (plan_.nth == 0) return std::nullopt;
  if (n != plan_.nth && !(plan_.forever && n > plan_.nth)) return std::nullopt;
  ++stats_.failed;
  return plan_.point;
}

Error injected_fault(std::string_view op) {
  return Error::unavailable("store: write not committed: injected fault in " + std::string(op));
}

namespace {

// Runs one counted write `op` through the injector.
template <class F>
auto counted(FaultInjector& faults, std::string_view op, F&& write) -> decltype(write()) {
  using R = decltype(write());
  const auto point = faults.next();
  if (point == FaultInjector::Point::kBeforeWrite) return R(fail(injected_fault(op)));
  R result = write();
  if (point == FaultInjector::Point::kAfterCommit && result) return R(fail(injected_fault(op)));
  return result;
}

class FaultyPolicyStore final : public PolicyStore {
 public:
  FaultyPolicyStore(PolicyStore& inner, FaultInjector& faults) : inner_(inner), faults_(faults) {}

  Status create_application(const policy::Application& application) override {
    return counted(faults_, "create_application",
                   [&] { return inner_.create_application(application); });
  }
  Status add_step(const policy::Step& step) override {
    return counted(faults_, "add_step", [&] { return inner_.add_step(step); });
  }
  Result<std::optional<policy::Application>> get_application(std::string_view id) override {
    return inner_.get_application(id);
  }
  Result<std::optional<policy::Application>> find_application_by_name(
      std::string_view name) override {
    return inner_.find_application_by_name(name);
  }
  Result<std::vector<policy::Application>> list_applications() override {
    return inner_.list_applications();
  }
  Status create_permission_set(const policy::StepPermissionSet& set) override {
    return counted(faults_, "create_permission_set",
                   [&] { return inner_.create_permission_set(set); });
  }
  Result<std::optional<policy::StepPermissionSet>> get_permission_set(
      std::string_view id) override {
    return inner_.get_permission_set(id);
  }
  Result<std::optional<policy::StepPermissionSet>> find_permission_set_by_name(
      std::string_view name) override {
    return inner_.find_permission_set_by_name(name);
  }
  Result<std::vector<policy::StepPermissionSet>> list_permission_sets() override {
    return inner_.list_permission_sets();
  }
  Result<bool> set_permission_set_step(std::string_view set_id, std::string_view step_id,
                                       policy::Access access) override {
    return counted(faults_, "set_permission_set_step",
                   [&] { return inner_.set_permission_set_step(set_id, step_id, access); });
  }
  Result<bool> remove_permission_set_step(std::string_view set_id,
                                          std::string_view step_id) override {
    return counted(faults_, "remove_permission_set_step",
                   [&] { return inner_.remove_permission_set_step(set_id, step_id); });
  }
  Status create_role(const policy::Role& role) override {
    return counted(faults_, "create_role", [&] { return inner_.create_role(role); });
  }
  Result<std::optional<policy::Role>> get_role(std::string_view id) override {
    return inner_.get_role(id);
  }
  Result<std::optional<policy::Role>> find_role_by_name(std::string_view name) override {
    return inner_.find_role_by_name(name);
  }
  Result<std::vector<policy::Role>> list_roles() override { return inner_.list_roles(); }
  Result<std::vector<std::string>> delete_role(std::string_view id) override {
    return counted(faults_, "delete_role", [&] { return inner_.delete_role(id); });
  }
  Result<bool> add_role_module(std::string_view role_id, std::string_view module) override {
    return counted(faults_, "add_role_module",
                   [&] { return inner_.add_role_module(role_id, module); });
  }
  Result<bool> remove_role_module(std::string_view role_id, std::string_view module) override {
    return counted(faults_, "remove_role_module",
                   [&] { return inner_.remove_role_module(role_id, module); });
  }
  Result<bool> add_role_permission_set(std::string_view role_id, std::string_view set_id) override {
    return counted(faults_, "add_role_permission_set",
                   [&] { return inner_.add_role_permission_set(role_id, set_id); });
  }
  Result<bool> remove_role_permission_set(std::string_view role_id,
                                          std::string_view set_id) override {
    return counted(faults_, "remove_role_permission_set",
                   [&] { return inner_.remove_role_permission_set(role_id, set_id); });
  }
  Result<bool> add_role_member(std::string_view role_id, std::string_view user_id) override {
    return counted(faults_, "add_role_member",
                   [&] { return inner_.add_role_member(role_id, user_id); });
  }
  Result<bool> remove_role_member(std::string_view role_id, std::string_view user_id) override {
    return counted(faults_, "remove_role_member",
                   [&] { return inner_.remove_role_member(role_id, user_id); });
  }
  Result<std::vector<std::string>> role_members(std::string_view role_id) override {
    return inner_.role_members(role_id);
  }
  Result<std::vector<std::string>> roles_using_permission_set(std::string_view set_id) override {
    return inner_.roles_using_permission_set(set_id);
  }
  Result<bool> set_entitlement(std::string_view user_id, std::string_view application_id,
                               policy::Access access) override {
    return counted(faults_, "set_entitlement",
                   [&] { return inner_.set_entitlement(user_id, application_id, access); });
  }
  Result<bool> remove_entitlement(std::string_view user_id,
                                  std::string_view application_id) override {
    return counted(faults_, "remove_entitlement",
                   [&] { return inner_.remove_entitlement(user_id, application_id); });
  }
  Result<bool> grant_build_access(std::string_view user_id,
                                  std::string_view application_id) override {
    return counted(faults_, "grant_build_access",
                   [&] { return inner_.grant_build_access(user_id, application_id); });
  }
  Result<bool> revoke_build_access(std::string_view user_id,
                                   std::string_view application_id) override {
    return counted(faults_, "revoke_build_access",
                   [&] { return inner_.revoke_build_access(user_id, application_id); });
  }
  Result<policy::UserGrants> user_grants(std::string_view user_id) override {
    return inner_.user_grants(user_id);
  }

 private:
  PolicyStore& inner_;
  FaultInjector& faults_;
};

// Audit batches are background writes: forwarded, never counted.
class FaultyAuditStore final : public AuditStore {
 public:
  explicit FaultyAuditStore(AuditStore& inner) : inner_(inner) {}

  Status append(std::span<const AuditEvent> events) override { return inner_.append(events); }
  Result<AuditPage> query(const AuditQuery& query) override { return inner_.query(query); }
  Result<std::vector<AuditClient>> clients_of(std::string_view principal_id, Instant from,
                                              Instant to) override {
    return inner_.clients_of(principal_id, from, to);
  }
  Result<std::vector<AuditActionUse>> action_usage(Instant from, Instant to) override {
    return inner_.action_usage(from, to);
  }
  Result<std::int64_t> prune(Instant before) override { return inner_.prune(before); }

 private:
  AuditStore& inner_;
};

class FaultyKeyStore final : public KeyStore {
 public:
  FaultyKeyStore(KeyStore& inner, FaultInjector& faults) : inner_(inner), faults_(faults) {}

  Status insert_key(const ApiKey& key) override {
    return counted(faults_, "insert_key", [&] { return inner_.insert_key(key); });
  }
  Result<std::optional<ApiKey>> find_key(std::string_view id) override {
    return inner_.find_key(id);
  }
  Result<std::optional<ApiKey>> find_key_by_digest(const Digest& digest) override {
    return inner_.find_key_by_digest(digest);
  }
  Result<std::vector<ApiKey>> list_keys_of_user(std::string_view user_id) override {
    return inner_.list_keys_of_user(user_id);
  }
  Result<std::vector<ApiKey>> list_keys() override { return inner_.list_keys(); }
  Result<std::optional<ApiKey>> deactivate_key(std::string_view id, Instant at,
                                               std::string_view by_user_id) override {
    return counted(faults_, "deactivate_key",
                   [&] { return inner_.deactivate_key(id, at, by_user_id); });
  }
  // Last-used times are flushed in the background: never counted.
  Result<int> record_key_usage(const std::vector<KeyUsage>& usages) override {
    return inner_.record_key_usage(usages);
  }
  Result<KeyReroll> reroll_key(std::string_view old_id, const ApiKey& new_key, Instant lapses_at,
                               Instant at) override {
    return counted(faults_, "reroll_key",
                   [&] { return inner_.reroll_key(old_id, new_key, lapses_at, at); });
  }
  Result<std::optional<ApiKey>> set_key_limits(std::string_view id,
                                               const KeyLimitOverride& limits) override {
    return counted(faults_, "set_key_limits", [&] { return inner_.set_key_limits(id, limits); });
  }
  Result<std::optional<ApiKey>> set_key_allowed_origins(
      std::string_view id, const std::vector<std::string>& cidrs) override {
    return counted(faults_, "set_key_allowed_origins",
                   [&] { return inner_.set_key_allowed_origins(id, cidrs); });
  }

 private:
  KeyStore& inner_;
  FaultInjector& faults_;
};

class FaultySessionStore final : public SessionStore {
 public:
  FaultySessionStore(SessionStore& inner, FaultInjector& faults) : inner_(inner), faults_(faults) {}

  using SessionStore::login_session;
  Result<LoginOutcome> login_session(
      const LoginSession& candidate, Instant now,
      const std::function<bool(const LoginSession&)>& reusable) override {
    return counted(faults_, "login_session",
                   [&] { return inner_.login_session(candidate, now, reusable); });
  }
  Result<std::optional<LoginSession>> find_session(std::string_view key_id,
                                                   std::string_view session_id) override {
    return inner_.find_session(key_id, session_id);
  }
  Result<std::vector<LoginSession>> sessions_of_key(std::string_view key_id) override {
    return inner_.sessions_of_key(key_id);
  }
  Result<LoginSession> revoke_session(std::string_view key_id, std::string_view session_id,
                                      Instant at) override {
    return counted(faults_, "revoke_session",
                   [&] { return inner_.revoke_session(key_id, session_id, at); });
  }
  Result<std::vector<LoginSession>> revoked_sessions(Instant now) override {
    return inner_.revoked_sessions(now);
  }
  Result<int> prune_sessions(Instant before) override { return inner_.prune_sessions(before); }

 private:
  SessionStore& inner_;
  FaultInjector& faults_;
};

class FaultySigningKeyStore final : public SigningKeyStore {
 public:
  FaultySigningKeyStore(SigningKeyStore& inner, FaultInjector& faults)
      : inner_(inner), faults_(faults) {}

  Result<std::vector<SigningKeyRecord>> list_signing_keys() override {
    return inner_.list_signing_keys();
  }
  Result<bool> rotate_signing_key(const SigningKeyRecord& next, Instant now, Instant verify_until,
                                  std::optional<Instant> only_if_current_older_than) override {
    return counted(faults_, "rotate_signing_key", [&] {
      return inner_.rotate_signing_key(next, now, verify_until, only_if_current_older_than);
    });
  }
  Result<int> prune_signing_keys(Instant now) override { return inner_.prune_signing_keys(now); }

 private:
  SigningKeyStore& inner_;
  FaultInjector& faults_;
};

class FaultyRevokedTokenStore final : public RevokedTokenStore {
 public:
  FaultyRevokedTokenStore(RevokedTokenStore& inner, FaultInjector& faults)
      : inner_(inner), faults_(faults) {}

  Result<bool> revoke_jwt(const RevokedJwt& revoked) override {
    return counted(faults_, "revoke_jwt", [&] { return inner_.revoke_jwt(revoked); });
  }
  Result<std::vector<RevokedJwt>> revoked_jwts(Instant now) override {
    return inner_.revoked_jwts(now);
  }
  Result<bool> is_jwt_revoked(std::string_view jti, Instant now) override {
    return inner_.is_jwt_revoked(jti, now);
  }
  Result<int> prune_revoked_jwts(Instant before) override {
    return inner_.prune_revoked_jwts(before);
  }

 private:
  RevokedTokenStore& inner_;
  FaultInjector& faults_;
};

// Console sign-in: the request-driven writes are counted; "last seen"
// (coalesced, in the background) and pruning are not.
class FaultyConsoleStore final : public ConsoleStore {
 public:
  FaultyConsoleStore(ConsoleStore& inner, FaultInjector& faults) : inner_(inner), faults_(faults) {}

  Status set_console_password(std::string_view user_id, std::string_view password_hash,
                              Instant at) override {
    return counted(faults_, "set_console_password",
                   [&] { return inner_.set_console_password(user_id, password_hash, at); });
  }
  Result<std::optional<std::string>> console_password_hash(std::string_view user_id) override {
    return inner_.console_password_hash(user_id);
  }
  Status create_console_session(const ConsoleSession& session) override {
    return counted(faults_, "create_console_session",
                   [&] { return inner_.create_console_session(session); });
  }
  Result<std::optional<ConsoleSession>> find_console_session_by_secret(
      const Digest& secret_digest) override {
    return inner_.find_console_session_by_secret(secret_digest);
  }
  Result<std::optional<ConsoleSession>> find_console_session(std::string_view id) override {
    return inner_.find_console_session(id);
  }
  Result<std::vector<ConsoleSession>> open_console_sessions_of_user(
      std::string_view user_id) override {
    return inner_.open_console_sessions_of_user(user_id);
  }
  Status note_console_sessions_seen(const std::vector<ConsoleSessionSeen>& seen) override {
    return inner_.note_console_sessions_seen(seen);
  }
  Result<bool> end_console_session(std::string_view id, Instant at,
                                   std::string_view reason) override {
    return counted(faults_, "end_console_session",
                   [&] { return inner_.end_console_session(id, at, reason); });
  }
  Result<int> end_console_sessions_of_user(std::string_view user_id, Instant at,
                                           std::string_view reason) override {
    return counted(faults_, "end_console_sessions_of_user",
                   [&] { return inner_.end_console_sessions_of_user(user_id, at, reason); });
  }
  Result<int> prune_console_sessions(Instant before) override {
    return inner_.prune_console_sessions(before);
  }
  Status add_console_session_token(const ConsoleSessionToken& token) override {
    return counted(faults_, "add_console_session_token",
                   [&] { return inner_.add_console_session_token(token); });
  }
  Result<std::vector<ConsoleSessionToken>> console_session_tokens(std::string_view session_id,
                                                                  Instant now) override {
    return inner_.console_session_tokens(session_id, now);
  }
  Result<std::vector<ConsoleSessionToken>> console_session_tokens_of_user(std::string_view user_id,
                                                                          Instant now) override {
    return inner_.console_session_tokens_of_user(user_id, now);
  }
  Status put_console_invitation(const ConsoleInvitation& invitation) override {
    return counted(faults_, "put_console_invitation",
                   [&] { return inner_.put_console_invitation(invitation); });
  }
  Result<std::optional<ConsoleInvitation>> find_console_invitation(
      const Digest& token_digest) override {
    return inner_.find_console_invitation(token_digest);
  }
  Result<ConsoleInvitation> accept_console_invitation(const Digest& token_digest,
                                                      std::string_view password_hash,
                                                      Instant now) override {
    return counted(faults_, "accept_console_invitation", [&] {
      return inner_.accept_console_invitation(token_digest, password_hash, now);
    });
  }

 private:
  ConsoleStore& inner_;
  FaultInjector& faults_;
};

// Usage per key is flushed in the background, never on a request's path:
// like pruning, its writes are not counted (a fault armed for a request's
// write must hit that request).
class FaultyUsageStore final : public UsageStore {
 public:
  explicit FaultyUsageStore(UsageStore& inner) : inner_(inner) {}

  Status add_usage(const std::vector<UsageRow>& rows) override { return inner_.add_usage(rows); }
  Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id, UsageGranularity granularity,
                                             Instant from, Instant to) override {
    return inner_.usage_of_key(key_id, granularity, from, to);
  }
  Result<int> prune_usage(UsageGranularity granularity, Instant before) override {
    return inner_.prune_usage(granularity, before);
  }

 private:
  UsageStore& inner_;
};

// Enqueues are request-driven (a handler publishes after its change) and
// counted; the deliverer's claims, marks and pruning are background writes.
class FaultyEventOutboxStore final : public EventOutboxStore {
 public:
  FaultyEventOutboxStore(EventOutboxStore& inner, FaultInjector& faults)
      : inner_(inner), faults_(faults) {}

  Result<bool> enqueue(const NewOutboxEvent& event) override {
    return counted(faults_, "enqueue_event", [&] { return inner_.enqueue(event); });
  }
  Result<std::vector<OutboxEvent>> claim_due(Instant now, int limit, Duration lease) override {
    return inner_.claim_due(now, limit, lease);
  }
  using EventOutboxStore::mark_delivered;
  Result<bool> mark_delivered(std::string_view id, Instant at,
                              std::optional<Instant> claim) override {
    return inner_.mark_delivered(id, at, claim);
  }
  Result<bool> mark_failed(std::string_view id, const OutboxFailure& failure) override {
    return inner_.mark_failed(id, failure);
  }
  Result<OutboxEvent> requeue(std::string_view id, Instant now) override {
    return counted(faults_, "requeue_event", [&] { return inner_.requeue(id, now); });
  }
  Result<std::optional<OutboxEvent>> get(std::string_view id) override { return inner_.get(id); }
  Result<OutboxPage> list(const OutboxQuery& query) override { return inner_.list(query); }
  Result<OutboxCounts> counts() override { return inner_.counts(); }
  Result<std::optional<Instant>> next_due() override { return inner_.next_due(); }
  Result<std::int64_t> prune(Instant before) override { return inner_.prune(before); }

 private:
  EventOutboxStore& inner_;
  FaultInjector& faults_;
};

class FaultyStore final : public Store {
 public:
  FaultyStore(std::unique_ptr<Store> inner, std::shared_ptr<FaultInjector> faults)
      : inner_(std::move(inner)),
        faults_(std::move(faults)),
        policy_(inner_->policy(), *faults_),
        audit_(inner_->audit()),
        keys_(inner_->keys(), *faults_),
        sessions_(inner_->sessions(), *faults_),
        signing_keys_(inner_->signing_keys(), *faults_),
        revoked_tokens_(inner_->revoked_tokens(), *faults_),
        console_(inner_->console(), *faults_),
        usage_(inner_->usage()),
        outbox_(inner_->outbox(), *faults_) {}

  Status ping() override { return inner_->ping(); }
  PolicyStore& policy() override { return policy_; }
  AuditStore& audit() override { return audit_; }
  KeyStore& keys() override { return keys_; }
  SessionStore& sessions() override { return sessions_; }
  SigningKeyStore& signing_keys() override { return signing_keys_; }
  RevokedTokenStore& revoked_tokens() override { return revoked_tokens_; }
  ConsoleStore& console() override { return console_; }
  UsageStore& usage() override { return usage_; }
  EventOutboxStore& outbox() override { return outbox_; }

  Result<User> create_user(const NewUser& user) override {
    return counted(*faults_, "create_user", [&] { return inner_->create_user(user); });
  }
  Result<User> get_user(std::string_view id) override { return inner_->get_user(id); }
  Result<std::optional<User>> find_user_by_name(std::string_view name) override {
    return inner_->find_user_by_name(name);
  }
  Result<std::vector<User>> list_users() override { return inner_->list_users(); }
  Result<bool> has_users() override { return inner_->has_users(); }
  Result<std::vector<User>> list_expired_service_accounts(Instant now) override {
    return inner_->list_expired_service_accounts(now);
  }
  using Store::disable_expired_service_account;
  Result<std::optional<User>> disable_expired_service_account(
      std::string_view id, Instant now, const OutboxRowsFor& events) override {
    return counted(*faults_, "disable_expired_service_account",
                   [&] { return inner_->disable_expired_service_account(id, now, events); });
  }
  Result<User> update_user(std::string_view id, const UserUpdate& update, Instant now) override {
    return counted(*faults_, "update_user", [&] { return inner_->update_user(id, update, now); });
  }
  Result<User> set_user_allowed_origins(std::string_view id, const std::vector<std::string>& cidrs,
                                        Instant now) override {
    return counted(*faults_, "set_user_allowed_origins",
                   [&] { return inner_->set_user_allowed_origins(id, cidrs, now); });
  }
  Result<bool> bootstrap_first_user(const NewUser& user,
                                    const ClientCredential& credential) override {
    return counted(*faults_, "bootstrap_first_user",
                   [&] { return inner_->bootstrap_first_user(user, credential); });
  }
  Result<bool> bootstrap_first_user(const NewUser& user, const ClientCredential& credential,
                                    const std::string& console_password_hash) override {
    return counted(*faults_, "bootstrap_first_user", [&] {
      return inner_->bootstrap_first_user(user, credential, console_password_hash);
    });
  }
  Status put_client_credential(const ClientCredential& credential) override {
    return counted(*faults_, "put_client_credential",
                   [&] { return inner_->put_client_credential(credential); });
  }
  using Store::set_client_secret;
  Result<ClientCredential> set_client_secret(std::string_view user_id,
                                             std::string_view client_id_if_new,
                                             const Digest& secret_digest, Instant at,
                                             bool only_if_none,
                                             Duration previous_valid_for) override {
    return counted(*faults_, "set_client_secret", [&] {
      return inner_->set_client_secret(user_id, client_id_if_new, secret_digest, at, only_if_none,
                                       previous_valid_for);
    });
  }
  Result<std::optional<ClientCredential>> retire_previous_client_secret(std::string_view user_id,
                                                                        Instant at) override {
    return counted(*faults_, "retire_previous_client_secret",
                   [&] { return inner_->retire_previous_client_secret(user_id, at); });
  }
  Result<std::optional<ClientCredential>> find_client_credential(
      std::string_view client_id) override {
    return inner_->find_client_credential(client_id);
  }
  Result<std::optional<ClientCredential>> client_credential_of_user(
      std::string_view user_id) override {
    return inner_->client_credential_of_user(user_id);
  }
  Status issue_account_token(const AccountToken& token) override {
    return counted(*faults_, "issue_account_token",
                   [&] { return inner_->issue_account_token(token); });
  }
  Result<std::optional<TokenInterference>> issue_watched_account_token(
      const AccountToken& token, const InterferenceRule& rule) override {
    return counted(*faults_, "issue_account_token",
                   [&] { return inner_->issue_watched_account_token(token, rule); });
  }
  Result<std::optional<TokenInterference>> find_token_interference(
      std::string_view user_id) override {
    return inner_->find_token_interference(user_id);
  }
  Result<AccountTokenLookup> find_account_token(const Digest& digest) override {
    return inner_->find_account_token(digest);
  }
  Result<bool> end_account_token(const Digest& digest, TokenEndReason reason, Instant at) override {
    return counted(*faults_, "end_account_token",
                   [&] { return inner_->end_account_token(digest, reason, at); });
  }
  Result<int> end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                         Instant at) override {
    return counted(*faults_, "end_account_tokens_of_user",
                   [&] { return inner_->end_account_tokens_of_user(user_id, reason, at); });
  }
  // Hourly pruning is a background write: never counted.
  Result<int> prune_tombstones(Instant now) override { return inner_->prune_tombstones(now); }

 private:
  std::unique_ptr<Store> inner_;
  std::shared_ptr<FaultInjector> faults_;
  FaultyPolicyStore policy_;
  FaultyAuditStore audit_;
  FaultyKeyStore keys_;
  FaultySessionStore sessions_;
  FaultySigningKeyStore signing_keys_;
  FaultyRevokedTokenStore revoked_tokens_;
  FaultyConsoleStore console_;
  FaultyUsageStore usage_;
  FaultyEventOutboxStore outbox_;
};

}  // namespace

std::unique_ptr<Store> make_faulty_store(std::unique_ptr<Store> inner,
                                         std::shared_ptr<FaultInjector> faults) {
  return std::make_unique<FaultyStore>(std::move(inner), std::move(faults));
}

}  // namespace latchkey
