#include "tokens/jwt_service.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "accounts/account_expiry.h"
#include "core/ids.h"
#include "store/revoked_token_store.h"
#include "store/session_store.h"
#include "tokens/jwt.h"
#include "tokens/principal_of_user.h"
#include "tokens/signing_key_ring.h"

namespace latchkey {
namespace {

constexpr std::string_view kDefaultSession = "default";
constexpr std::size_t kMaxSessionIdChars = 128;
// Ended sessions stay listed this long after their token expired.
constexpr Duration kSessionListingGrace = std::chrono::hours(24);

struct DigestHash {
  std::size_t operator()(const Digest& d) const {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);  // SHA-256 output is uniform already
    return h;
  }
};

Instant floor_seconds(Instant t) { return std::chrono::time_point_cast<std::chrono::seconds>(t); }

bool valid_session_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxSessionIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':' || c == '~';
  });
}

// Verified tokens: digest -> the principal the token stands for. Bounded;
// entries leave when their token expires (swept when full and by
// maintenance), when their user changes, or when their token is revoked.
// Epoch-guarded inserts as in AccountTokenCache: a principal built from a
// store read that started before an eviction is never cached after it.
class VerifiedJwtCache {
 public:
  explicit VerifiedJwtCache(std::size_t capacity) : capacity_(capacity) {}

  void set_trust(const CacheTrust* trust) { trust_ = trust; }

  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  std::shared_ptr<const Principal> find(const Digest& digest) const {
    if (!caches_trusted(trust_)) return nullptr;  // degraded: verify every time
    std::shared_lock lock(mu_);
    const auto it = by_digest_.find(digest);
    return it == by_digest_.end() ? nullptr : it->second;
  }

  void insert_if_current(std::uint64_t epoch, const Digest& digest,
                         std::shared_ptr<const Principal> principal, Instant now) {
    std::unique_lock lock(mu_);
    if (epoch_.load(std::memory_order_relaxed) != epoch) return;
    if (!caches_trusted(trust_)) return;
    if (by_digest_.size() >= capacity_) sweep_locked(now);
    if (by_digest_.size() >= capacity_) return;  // full of live tokens: verify again next time
    by_digest_[digest] = std::move(principal);
  }

  void evict(const Digest& digest) {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    by_digest_.erase(digest);
  }

  template <class Pred>
  void evict_if(Pred pred) {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    std::erase_if(by_digest_, [&](const auto& entry) { return pred(*entry.second); });
  }

  void sweep(Instant now) {
    std::unique_lock lock(mu_);
    sweep_locked(now);
  }

  void clear() {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    by_digest_.clear();
  }

  std::size_t size() const {
    std::shared_lock lock(mu_);
    return by_digest_.size();
  }

 private:
  void sweep_locked(Instant now) {
    std::erase_if(by_digest_,
                  [&](const auto& entry) { return now >= entry.second->token_expires_at; });
  }

  const std::size_t capacity_;
  const CacheTrust* trust_ = nullptr;
  std::atomic<std::uint64_t> epoch_{0};
  mutable std::shared_mutex mu_;
  std::unordered_map<Digest, std::shared_ptr<const Principal>, DigestHash>
      by_digest_;  // GUARDED_BY(mu_)
};

// Revoked, not yet expired tokens, by an identifier the token carries:
// its jti (RFC 7009 and session revocations) or its seed-003 session.
// Never by the token's bytes: a second spelling of the same token (an ES256
// high-S twin, another base64url rendering) carries the same identifiers.
// An entry counts until the token it stands for expires; maintenance prunes
// it later. Consulted on every request; `count_` keeps the common empty case
// free of locking.
// Added to the longest token lifetime when clamping another node's expiry:
// clocks of nodes differ a little.
constexpr Duration kRevocationClockSlack = std::chrono::minutes(5);

class RevokedIds {
 public:
  void add(std::string id, Instant expires_at) {
    std::unique_lock lock(mu_);
    Instant& until = revoked_[std::move(id)];
    until = std::max(until, expires_at);
    count_.store(revoked_.size(), std::memory_order_release);
  }
  bool contains(std::string_view id, Instant now) const {
    if (count_.load(std::memory_order_acquire) == 0) return false;
    std::shared_lock lock(mu_);
    const auto it = revoked_.find(id);
    return it != revoked_.end() && now < it->second;
  }
  void prune(Instant now) {
    std::unique_lock lock(mu_);
    std::erase_if(revoked_, [&](const auto& entry) { return now >= entry.second; });
    count_.store(revoked_.size(), std::memory_order_release);
  }
  std::size_t size() const { return count_.load(std::memory_order_acquire); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Instant, Hash, std::equal_to<>> revoked_;  // GUARDED_BY(mu_)
  std::atomic<std::size_t> count_{0};
};

// A seed-003 session as one identifier: key ids and session ids never
// contain a newline (valid_session_id, key ids are generated).
std::string session_ref(std::string_view key_id, std::string_view session_id) {
  std::string ref;
  ref.reserve(key_id.size() + 1 + session_id.size());
  ref += key_id;
  ref += '\n';
  ref += session_id;
  return ref;
}

Error user_state_error(const User& user) {
  if (user.disabled) {
    return Error::invalid_token("user_disabled", "the owner of this API key is disabled");
  }
  return Error::invalid_token("api_access_disabled",
                              "API access is not enabled for the owner of this API key");
}

std::shared_ptr<const Principal> principal_of(const User& user, const ApiKeyFacts& key,
                                              const JwtClaims& claims) {
  auto p = principal_of_user(user, key.key_id, claims.issued_at, claims.expires_at);
  p->key = KeyGrant{key.key_id, key.masked_key, key.role_id, key.read_only, claims.session_id};
  p->credential = "key " + key.masked_key;
  p->token_id = claims.jwt_id;
  // The key's list binds every token derived from it, under its owner's
  // list (a ceiling for every credential of the owner). A change of either
  // evicts the cached principal (forget_key, forget_user).
  p->origins = OriginRestriction::of_key(key.allowed_origins, user.allowed_origins);
  return p;
}

// An OAuth client-credentials token: the client's user, no key; scope "read"
// narrows it (Principal::read_only).
std::shared_ptr<const Principal> principal_of_client(const User& user, const JwtClaims& claims) {
  auto p = principal_of_user(user, claims.client_id, claims.issued_at, claims.expires_at);
  p->read_only = claims.scope == "read";
  p->token_id = claims.jwt_id;
  // Issued for the client's Client ID + Secret: the user's list binds it.
  p->origins = OriginRestriction::of(user.allowed_origins);
  return p;
}

class JwtServiceImpl final : public JwtService {
 public:
  JwtServiceImpl(Store& store, ApiKeyAuthority& keys, const Clock& clock, Random& random,
                 JwtOptions options)
      : store_(store),
        keys_(keys),
        clock_(clock),
        random_(random),
        options_(std::move(options)),
        issuer_(options_.issuer),
        ring_(store.signing_keys(), clock, random,
              std::max({options_.access_token_ttl, options_.login_token_ttl,
                        options_.oauth_access_token_ttl}),
              options_.rotation_period),
        cache_(options_.cache_capacity) {}

  Status start() {
    if (auto s = ring_.load(); !s) return s;
    return reload_revocations();
  }

  Status reload_revocations() override {
    auto revoked = store_.sessions().revoked_sessions(clock_.now());
    if (!revoked) return fail(revoked.error());
    for (const LoginSession& s : *revoked) remember_revoked_session(s);
    // RFC 7009 revocations by jti (docs/oauth.md).
    auto revoked_jwts = store_.revoked_tokens().revoked_jwts(clock_.now());
    if (!revoked_jwts) return fail(revoked_jwts.error());
    for (const RevokedJwt& r : *revoked_jwts) revoked_ids_.add(r.jti, r.expires_at);
    // Everything the store has is in memory again: memory may answer alone
    // once the sets are back under the cap (pruned by maintain()).
    if (revoked_ids_.size() < kMaxRemoteRevocations &&
        revoked_sessions_.size() < kMaxRemoteRevocations) {
      revocations_overflowed_.store(false, std::memory_order_release);
    }
    return {};
  }

  void set_publisher(invalidation::Publisher* publisher) override { publisher_ = publisher; }
  void set_cache_trust(const CacheTrust* trust) override {
    trust_ = trust;
    cache_.set_trust(trust);
  }
  // Anyone who can NOTIFY on the database can send these: `until` is
  // clamped to what a token of this node can live, and past
  // kMaxRemoteRevocations per set nothing more is kept in memory; instead
  // every verification also asks the store (read-through, as when
  // degraded) until a reload from the store finds the sets small again.
  void refuse_token_id(std::string_view token_id, Instant until) override {
    add_remote(revoked_ids_, std::string(token_id), until);
  }
  void refuse_login_session(std::string_view key_id, std::string_view session_id,
                            Instant until) override {
    // No eviction of the session's cached token: every verification, cache
    // hit or not, consults revoked_sessions_ (or the store past the cap).
    add_remote(revoked_sessions_, session_ref(key_id, session_id), until);
  }
  Status reload_signing_keys() override { return ring_.reload(); }
  void forget_all() override { cache_.clear(); }

  void set_issuer(std::string issuer) override { issuer_ = std::move(issuer); }

  Result<IssuedJwt> issue_client_credentials(
      const User& user, std::string_view client_id, bool read_only,
      std::optional<Duration> ttl = std::nullopt,
      std::optional<Instant> credential_deadline = std::nullopt) override {
    if (auto rotated = rotate_if_due(); !rotated) return fail(rotated.error());
    const Instant now = clock_.now();
    JwtClaims claims;
    claims.issuer = issuer_;
    claims.audience = options_.audience;
    claims.subject = user.id;
    claims.scope = read_only ? "read" : "read write";
    claims.grant = std::string(kClientCredentialsGrant);
    claims.client_id = std::string(client_id);
    claims.issued_at = floor_seconds(now);
    claims.expires_at = floor_seconds(
        capped_token_expiry(claims.issued_at + ttl.value_or(options_.oauth_access_token_ttl), user,
                            credential_deadline));
    claims.jwt_id = new_id("jti_", random_);
    const RingKey signer = ring_.current();
    auto token = encode_jwt(claims, signer.kid, *signer.key);
    if (!token) return fail(token.error());
    IssuedJwt issued;
    issued.access_token = std::move(*token);
    issued.expires_at = claims.expires_at;
    issued.expires_in =
        std::chrono::duration_cast<std::chrono::seconds>(claims.expires_at - claims.issued_at)
            .count();
    issued.principal = principal_of_client(user, claims);
    return issued;
  }

  Status revoke_token_id(std::string_view token_id, std::string_view user_id,
                         Instant expires_at) override {
    if (token_id.empty()) return fail(Error::invalid_request("the token has no jti"));
    // Refused at once, before the write: if the write fails (503), this
    // process still refuses the token (fail closed, docs/security/faults.md).
    revoked_ids_.add(std::string(token_id), expires_at);
    auto stored = store_.revoked_tokens().revoke_jwt(
        RevokedJwt{std::string(token_id), std::string(user_id), clock_.now(), expires_at});
    // Every other node refuses it too (even after a failed write: fail closed).
    publish(invalidation::Message::revoked_jwt(token_id, expires_at));
    if (!stored) return fail(stored.error());
    return {};
  }

  const std::string& issuer() const override { return issuer_; }
  const std::string& audience() const override { return options_.audience; }

  Result<IssuedJwt> exchange_access(
      std::string_view api_key, const RequestOrigin&,
      std::optional<Instant> credential_deadline = std::nullopt) override {
    auto key = authenticate_key(api_key);
    if (!key) return fail(key.error());
    auto issued =
        sign_for(key->first, key->second, options_.access_token_ttl, "", credential_deadline);
    if (!issued) return fail(issued.error());
    keys_.note_used(key->first.key_id);
    return issued;
  }

  Result<IssuedJwt> login(std::string_view api_key, std::string_view session_id,
                          const RequestOrigin&,
                          std::optional<Instant> credential_deadline = std::nullopt) override {
    const std::string_view session = session_id.empty() ? kDefaultSession : session_id;
    if (!valid_session_id(session)) {
      return fail(
          Error::invalid_request("session_id must be 1-128 characters of A-Z a-z 0-9 - _ . : ~"));
    }
    auto key = authenticate_key(api_key);
    if (!key) return fail(key.error());
    const ApiKeyFacts& facts = key->first;
    // Signed before the store decides (cheap); kept only when no valid token
    // of the session exists.
    auto candidate =
        sign_for(facts, key->second, options_.login_token_ttl, session, credential_deadline);
    if (!candidate) return fail(candidate.error());
    const Instant now = clock_.now();
    LoginSession row;
    row.key_id = facts.key_id;
    row.session_id = std::string(session);
    row.user_id = facts.user_id;
    row.created_at = now;
    row.token = candidate->access_token;
    row.token_issued_at = candidate->principal->token_issued_at;
    row.token_expires_at = candidate->expires_at;
    // seed 003: same (key, session) -> same token while it is valid; the
    // decision is one store write, so concurrent logins agree.
    // A stored token in an older form (typ, iss or client_id from before an
    // upgrade or an issuer change) would be refused: it is replaced.
    auto outcome = store_.sessions().login_session(row, now, [this](const LoginSession& stored) {
      const auto facts = read_stored_jwt(stored.token);
      return facts && facts->typ == kAccessTokenType && facts->issuer == issuer_ &&
             facts->has_client_id;
    });
    if (!outcome) return fail(outcome.error());
    keys_.note_used(facts.key_id);
    if (!outcome->reused) return candidate;
    IssuedJwt reused;
    reused.access_token = outcome->session.token;
    reused.expires_at = outcome->session.token_expires_at;
    reused.expires_in = seconds_until(now, reused.expires_at);
    reused.session_id = std::string(session);
    reused.reused = true;
    reused.key_expires_at = facts.expires_at;
    JwtClaims claims;
    claims.session_id = std::string(session);
    claims.issued_at = outcome->session.token_issued_at;
    claims.expires_at = outcome->session.token_expires_at;
    reused.principal = principal_of(key->second, facts, claims);
    return reused;
  }

  Result<std::shared_ptr<const Principal>> authenticate(std::string_view token) override {
    if (!has_jwt_shape(token)) {
      return fail(Error::invalid_token("malformed", "the bearer token is not a JWT"));
    }
    const Digest digest = digest_secret(token);
    const Instant now = clock_.now();
    std::shared_ptr<const Principal> principal = cache_.find(digest);
    if (principal) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      // A token's end is capped at its service account's expiry: at that
      // instant the account's reason is the one that explains it.
      if (account_expired(principal->account_expires_at, now)) {
        return fail(account_expired_token_error(*principal->account_expires_at));
      }
      if (now >= principal->token_expires_at) {
        cache_.evict(digest);
        return fail(expired(principal->token_expires_at));
      }
    } else {
      auto fresh = verify_and_build(token, digest, now);
      if (!fresh) return fail(fresh.error());
      principal = std::move(*fresh);
    }
    // Revocation state, on every request (cache hit or not), all in memory,
    // by the token's identifiers (never its bytes: see RevokedIds).
    if (revoked_ids_.contains(principal->token_id, now)) {
      return fail(Error::invalid_token("revoked", "this token was revoked"));
    }
    if (!caches_trusted(trust_) || revocations_overflowed_.load(std::memory_order_acquire)) {
      if (auto s = check_revoked_in_store(*principal, now); !s) return fail(s.error());
    }
    // Issue 14 item 7: exactly at its expiry, before the scan disables it.
    if (account_expired(principal->account_expires_at, now)) {
      return fail(account_expired_token_error(*principal->account_expires_at));
    }
    if (principal->key && !principal->key->session_id.empty() && revoked_sessions_.size() != 0 &&
        revoked_sessions_.contains(session_ref(principal->key->key_id, principal->key->session_id),
                                   now)) {
      return fail(Error::invalid_token("revoked", "the session of this token was revoked"));
    }
    if (!principal->key) {  // OAuth client credentials: no key behind it
      if (!principal->api_access) {
        return fail(Error::invalid_token("api_access_disabled",
                                         "API access is not enabled for the user of this token"));
      }
      return principal;
    }
    if (!keys_.key_active(principal->key->key_id)) {
      // key_id (a claim of the token already): usage per key counts the
      // refusal under it (docs/key-usage.md). Tokens follow a rerolled key
      // (docs/rotation.md).
      return fail(
          keys_.key_refusal(principal->key->key_id).with_detail("key_id", principal->key->key_id));
    }
    // seed 001: without API access every call answers 401.
    if (!principal->api_access) {
      return fail(Error::invalid_token("api_access_disabled",
                                       "API access is not enabled for the user of this token"));
    }
    keys_.note_used(principal->key->key_id);
    return principal;
  }

  Result<std::vector<LoginSessionInfo>> list_sessions(const Principal& caller,
                                                      std::string_view key_id) override {
    if (auto allowed = check_key_access(caller, key_id); !allowed) return fail(allowed.error());
    auto sessions = store_.sessions().sessions_of_key(key_id);
    if (!sessions) return fail(sessions.error());
    std::vector<LoginSessionInfo> out;
    out.reserve(sessions->size());
    for (const LoginSession& s : *sessions) {
      out.push_back(LoginSessionInfo{s.key_id, s.session_id, s.created_at, s.token_issued_at,
                                     s.token_expires_at, s.revoked_at});
    }
    return out;
  }

  Status revoke_session(const Principal& caller, std::string_view key_id,
                        std::string_view session_id) override {
    if (auto allowed = check_key_access(caller, key_id); !allowed) return fail(allowed.error());
    // Invariant 4: a read-only key never writes.
    if (caller.key && caller.key->read_only) {
      return fail(Error::forbidden("a read-only API key cannot revoke sessions"));
    }
    return revoke_login_session(key_id, session_id);
  }

  Status revoke_login_session(std::string_view key_id, std::string_view session_id) override {
    auto revoked = store_.sessions().revoke_session(key_id, session_id, clock_.now());
    if (!revoked && revoked.error().code != ErrorCode::kNotFound) {
      // Fail closed (docs/security/faults.md): the store could not confirm
      // the revocation, so this process refuses the session's token anyway;
      // the error (503) tells the caller to retry.
      auto session = store_.sessions().find_session(key_id, session_id);
      if (session && *session) refuse_session_token(**session);
    }
    if (!revoked) return fail(revoked.error());
    // After the commit and before answering: the token is refused at once,
    // in whatever spelling it is presented.
    refuse_session_token(*revoked);
    return {};
  }

  void refuse_session_token(const LoginSession& session) {
    remember_revoked_session(session);
    cache_.evict(digest_secret(session.token));
    publish(invalidation::Message::login_session(session.key_id, session.session_id,
                                                 session.token_expires_at));
  }

  void forget_user(std::string_view user_id) override {
    cache_.evict_if([&](const Principal& p) { return p.user_id == user_id; });
  }

  void forget_key(std::string_view key_id) override {
    cache_.evict_if([&](const Principal& p) { return p.key && p.key->key_id == key_id; });
  }

  std::string jwks_json() override { return ring_.jwks_json(clock_.now()); }

  Result<SigningKeyInfo> rotate_signing_key() override {
    auto rotated = ring_.rotate();
    if (!rotated) return fail(rotated.error());
    publish(invalidation::Message::signing_keys());
    return info_of(*rotated, true);
  }

  std::vector<SigningKeyInfo> signing_keys() override {
    const std::string current = ring_.current().kid;
    std::vector<SigningKeyInfo> out;
    for (const RingKey& k : ring_.usable_keys(clock_.now())) {
      out.push_back(info_of(k, k.kid == current));
    }
    return out;
  }

  Status maintain() override {
    const Instant now = clock_.now();
    if (auto r = rotate_if_due(); !r) return fail(r.error());
    if (auto r = ring_.prune(); !r) return fail(r.error());
    if (auto r = store_.sessions().prune_sessions(now - kSessionListingGrace); !r) {
      return fail(r.error());
    }
    if (auto r = store_.revoked_tokens().prune_revoked_jwts(now); !r) return fail(r.error());
    revoked_sessions_.prune(now);
    revoked_ids_.prune(now);
    cache_.sweep(now);
    return {};
  }

  JwtStats stats() const override {
    return JwtStats{verifications_.load(std::memory_order_relaxed),
                    hits_.load(std::memory_order_relaxed), cache_.size(),
                    revoked_sessions_.size() + revoked_ids_.size()};
  }

 private:
  void add_remote(RevokedIds& set, std::string id, Instant until) {
    until = std::min(until, clock_.now() + longest_token_life_);
    if (set.size() >= kMaxRemoteRevocations) {
      revocations_overflowed_.store(true, std::memory_order_release);
      return;
    }
    set.add(std::move(id), until);
  }

  void publish(const invalidation::Message& message) {
    if (publisher_ != nullptr) publisher_->publish(message);
  }

  // Rotates when due; a rotation (here or by another node) is announced so
  // that every node signs with, and verifies, the new key.
  Result<bool> rotate_if_due() {
    auto rotated = ring_.rotate_if_due();
    if (rotated && *rotated) publish(invalidation::Message::signing_keys());
    return rotated;
  }

  // Degraded mode (docs/operations.md): the in-memory revocation state may
  // lack another node's revocation, so the store is asked as well.
  Status check_revoked_in_store(const Principal& principal, Instant now) {
    if (!principal.token_id.empty()) {
      auto revoked = store_.revoked_tokens().is_jwt_revoked(principal.token_id, now);
      if (!revoked) return fail(revoked.error());
      if (*revoked) return fail(Error::invalid_token("revoked", "this token was revoked"));
    }
    if (principal.key && !principal.key->session_id.empty()) {
      auto session =
          store_.sessions().find_session(principal.key->key_id, principal.key->session_id);
      if (!session) return fail(session.error());
      if (*session && (*session)->revoked_at) {
        return fail(Error::invalid_token("revoked", "the session of this token was revoked"));
      }
    }
    return {};
  }

  // A revoked session: refused by its (key, session) until its token
  // expires (login refuses the session until then, so no newer token of it
  // can exist), and its token's jti too.
  void remember_revoked_session(const LoginSession& s) {
    revoked_sessions_.add(session_ref(s.key_id, s.session_id), s.token_expires_at);
    if (const auto facts = read_stored_jwt(s.token); facts && !facts->jwt_id.empty()) {
      revoked_ids_.add(facts->jwt_id, s.token_expires_at);
    }
  }

  static Error expired(Instant at) {
    return Error::invalid_token("expired", "the access token expired at " + format_rfc3339(at) +
                                               "; request a new one")
        .with_detail("expired_at", format_rfc3339(at));
  }

  SigningKeyInfo info_of(const RingKey& k, bool current) const {
    SigningKeyInfo info;
    info.kid = k.kid;
    info.created_at = k.created_at;
    info.retired_at = k.retired_at;
    info.verify_until =
        k.verify_until.value_or(Instant::max());  // current: as long as it stays current
    info.current = current;
    info.public_jwk_json = k.key->public_jwk_json(k.kid);
    return info;
  }

  // The key and its owner, both able to obtain tokens now.
  Result<std::pair<ApiKeyFacts, User>> authenticate_key(std::string_view api_key) {
    auto facts = keys_.authenticate_key(api_key);
    if (!facts) return fail(facts.error());
    auto user = store_.get_user(facts->user_id);
    if (!user) {
      if (user.error().code == ErrorCode::kNotFound) {
        return fail(Error::invalid_token("unknown", "the owner of this API key no longer exists"));
      }
      return fail(user.error());
    }
    if (user->disabled || !user->api_access) return fail(user_state_error(*user));
    if (const auto expiry = account_expiry_of(*user); account_expired(expiry, clock_.now())) {
      return fail(account_expired_token_error(*expiry));
    }
    return std::pair{std::move(*facts), std::move(*user)};
  }

  Result<IssuedJwt> sign_for(const ApiKeyFacts& facts, const User& owner, Duration ttl,
                             std::string_view session_id,
                             std::optional<Instant> credential_deadline) {
    if (auto rotated = rotate_if_due(); !rotated) return fail(rotated.error());
    const Instant now = clock_.now();
    JwtClaims claims;
    claims.issuer = issuer_;
    claims.audience = options_.audience;
    claims.subject = facts.user_id;
    claims.key_id = facts.key_id;
    claims.scope = facts.read_only ? "read" : "read write";
    claims.role = facts.role_id;
    claims.client_id = facts.key_id;  // RFC 9068: the API key is the client
    claims.session_id = std::string(session_id);
    claims.issued_at = floor_seconds(now);
    // A token never outlives its key, its service account, or its key's
    // hard maximum age.
    Instant end = capped_token_expiry(claims.issued_at + ttl, owner, credential_deadline);
    if (facts.expires_at && *facts.expires_at < end) end = *facts.expires_at;
    claims.expires_at = floor_seconds(end);
    claims.jwt_id = new_id("jti_", random_);
    const RingKey signer = ring_.current();
    auto token = encode_jwt(claims, signer.kid, *signer.key);
    if (!token) return fail(token.error());
    IssuedJwt issued;
    issued.access_token = std::move(*token);
    issued.expires_at = claims.expires_at;
    issued.expires_in =
        std::chrono::duration_cast<std::chrono::seconds>(claims.expires_at - claims.issued_at)
            .count();
    issued.session_id = claims.session_id;
    issued.key_expires_at = facts.expires_at;
    issued.principal = principal_of(owner, facts, claims);
    return issued;
  }

  Result<std::shared_ptr<const Principal>> verify_and_build(std::string_view token,
                                                            const Digest& digest, Instant now) {
    const std::uint64_t epoch = cache_.epoch();
    verifications_.fetch_add(1, std::memory_order_relaxed);
    auto claims = verify_jwt(
        token, [&](std::string_view kid) { return ring_.find(kid, now); },
        JwtExpectations{issuer_, options_.audience, now});
    if (!claims) return fail(claims.error());
    if (claims->grant == kClientCredentialsGrant)
      return build_client_principal(*claims, digest, now, epoch);
    auto facts = keys_.find_key(claims->key_id);
    if (!facts) {
      if (facts.error().code == ErrorCode::kNotFound) {
        return fail(Error::invalid_token("revoked", "the API key of this token no longer exists"));
      }
      return fail(facts.error());
    }
    if (facts->user_id != claims->subject) {
      return fail(Error::invalid_token("malformed", "the token's subject does not own its key"));
    }
    auto user = store_.get_user(claims->subject);
    if (!user) {
      if (user.error().code == ErrorCode::kNotFound) {
        return fail(Error::invalid_token("unknown", "the user of this token no longer exists"));
      }
      return fail(user.error());
    }
    if (user->disabled) return fail(user_state_error(*user));
    auto principal = principal_of(*user, *facts, *claims);
    cache_.insert_if_current(epoch, digest, principal, now);
    return principal;
  }

  // OAuth client-credentials token: its subject must still exist and be
  // enabled (API access is checked on every request by authenticate()).
  Result<std::shared_ptr<const Principal>> build_client_principal(const JwtClaims& claims,
                                                                  const Digest& digest, Instant now,
                                                                  std::uint64_t epoch) {
    auto user = store_.get_user(claims.subject);
    if (!user) {
      if (user.error().code == ErrorCode::kNotFound) {
        return fail(Error::invalid_token("unknown", "the user of this token no longer exists"));
      }
      return fail(user.error());
    }
    if (user->disabled) {
      return fail(Error::invalid_token("user_disabled", "the user of this token is disabled"));
    }
    auto principal = principal_of_client(*user, claims);
    cache_.insert_if_current(epoch, digest, principal, now);
    return principal;
  }

  Status check_key_access(const Principal& caller, std::string_view key_id) {
    auto facts = keys_.find_key(key_id);
    if (!facts) return fail(facts.error());
    // Existence is not leaked to others (as keys/ does for deactivation).
    if (facts->user_id != caller.user_id && !caller.is_admin()) {
      return fail(Error::not_found("no such API key"));
    }
    return {};
  }

  Store& store_;
  ApiKeyAuthority& keys_;
  const Clock& clock_;
  Random& random_;
  const JwtOptions options_;
  std::string issuer_;  // set before serving (set_issuer), then read-only
  SigningKeyRing ring_;
  VerifiedJwtCache cache_;
  RevokedIds revoked_sessions_;  // session_ref(key, session)
  RevokedIds revoked_ids_;       // jti: RFC 7009 and session revocations
  // Set when another node's revocation was not kept (kMaxRemoteRevocations):
  // verifications read revocations from the store.
  std::atomic<bool> revocations_overflowed_{false};
  // No token of this node lives longer (the clamp of another node's `until`).
  const Duration longest_token_life_ =
      std::max(
          {options_.access_token_ttl, options_.login_token_ttl, options_.oauth_access_token_ttl}) +
      kRevocationClockSlack;
  invalidation::Publisher* publisher_ = nullptr;  // set before serving
  const CacheTrust* trust_ = nullptr;             // set before serving
  std::atomic<std::uint64_t> verifications_{0};
  std::atomic<std::uint64_t> hits_{0};
};

}  // namespace

bool JwtService::looks_like_jwt(std::string_view token) { return has_jwt_shape(token); }

Result<std::unique_ptr<JwtService>> JwtService::create(Store& store, ApiKeyAuthority& keys,
                                                       const Clock& clock, Random& random,
                                                       JwtOptions options) {
  auto service = std::make_unique<JwtServiceImpl>(store, keys, clock, random, std::move(options));
  if (auto started = service->start(); !started) return fail(started.error());
  return std::unique_ptr<JwtService>(std::move(service));
}

}  // namespace latchkey
