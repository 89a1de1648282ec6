// The services the pipeline's stages call, as small interfaces so that a
// test can inject a failing one (fail-closed tests) and so that the stages
// never see a null: every member of Services is a reference, and where a
// server runs without an area (no API keys, no permission model) the
// fail-closed implementation below stands in, decided once when the
// pipeline is built.
//
// Thread-safety: every implementation is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/client_authenticator.h"
#include "accounts/principal.h"
#include "authz/permission_service.h"
#include "core/error.h"
#include "core/secret.h"
#include "policy/decision.h"

namespace latchkey {
class AccountTokenService;
class AuditLog;
class Clock;
class JwtService;
namespace keys {
class KeyService;
}
namespace limits {
struct Limits;
}
namespace usage {
class UsageCounter;
}
}  // namespace latchkey

namespace latchkey::pipeline {

// Bearer token -> Principal: the one verification of a request.
class BearerVerifier {
 public:
  virtual ~BearerVerifier() = default;
  // kInvalidToken with a reason, kForbidden (insufficient scope is not
  // decided here), or kUnavailable/kInternal when the store fails.
  virtual Result<std::shared_ptr<const Principal>> verify(std::string_view token) = 0;
};

// Account tokens (lk_at_…) and JWTs; counts every verification
// (latchkey_token_verifications_total{kind}) so that a test can prove each
// request is verified once.
class TokenVerifier final : public BearerVerifier {
 public:
  // `jwts` may be null: a JWT then answers 401 invalid_token.
  TokenVerifier(AccountTokenService& accounts, JwtService* jwts);
  Result<std::shared_ptr<const Principal>> verify(std::string_view token) override;

 private:
  AccountTokenService& accounts_;
  JwtService* jwts_;
};

// HTTP Basic Client ID + Secret -> the client's user (seed 000).
class ClientVerifier {
 public:
  virtual ~ClientVerifier() = default;
  virtual Result<AuthenticatedClient> verify(std::string_view client_id,
                                             std::string_view secret) = 0;
};

class StoreClientVerifier final : public ClientVerifier {
 public:
  explicit StoreClientVerifier(ClientAuthenticator& clients) : clients_(clients) {}
  Result<AuthenticatedClient> verify(std::string_view client_id, std::string_view secret) override {
    return clients_.authenticate(client_id, secret);
  }

 private:
  ClientAuthenticator& clients_;
};

// A presented API key -> the key it is, for its limits (exchanges).
struct KeyIdentity {
  std::string key_id;
  std::string role_id;
  // The key's allowed origins (docs/origin-restrictions.md; empty: anywhere).
  std::vector<std::string> allowed_origins;
};

class ApiKeyVerifier {
 public:
  virtual ~ApiKeyVerifier() = default;
  virtual Result<KeyIdentity> verify(std::string_view api_key) = 0;
};

// Over keys::KeyService; with none, every key is refused (503).
class KeyServiceVerifier final : public ApiKeyVerifier {
 public:
  explicit KeyServiceVerifier(keys::KeyService* keys) : keys_(keys) {}
  Result<KeyIdentity> verify(std::string_view api_key) override;

 private:
  keys::KeyService* keys_;
};

// The seed-001 decision.
class Decider {
 public:
  virtual ~Decider() = default;
  virtual Result<authz::DecisionOutcome> decide(const Principal& principal,
                                                const policy::DecisionRequest& request) = 0;
};

// Over authz::PermissionService; with none, every decision is a 403
// permissions_unavailable (fail closed).
class PermissionDecider final : public Decider {
 public:
  explicit PermissionDecider(authz::PermissionService* permissions) : permissions_(permissions) {}
  Result<authz::DecisionOutcome> decide(const Principal& principal,
                                        const policy::DecisionRequest& request) override;

 private:
  authz::PermissionService* permissions_;
};

// The web console's session cookie -> the person (docs/console.md).
struct ConsoleCaller {
  std::shared_ptr<const Principal> principal;  // credential "session ses_..."
  std::string session_id;
  Digest csrf_digest{};
};

class ConsoleSessionVerifier {
 public:
  virtual ~ConsoleSessionVerifier() = default;
  // kInvalidToken with a reason (session_invalid, session_ended,
  // session_expired, user_disabled), or kUnavailable/kInternal.
  virtual Result<ConsoleCaller> verify(std::string_view cookie_secret) = 0;
  // The origin ("https://host[:port]") of the configured public URL, which
  // an Origin header may name beside the request's own Host; empty: none.
  virtual std::string public_origin() const { return {}; }
  // The session cookie's name (kSessionCookieName or, on https,
  // kSecureSessionCookieName); only that name is read.
  virtual std::string_view cookie_name() const { return "latchkey_session"; }
};

// Where no console is wired: every cookie is refused (fail closed).
class NoConsoleSessions final : public ConsoleSessionVerifier {
 public:
  Result<ConsoleCaller> verify(std::string_view) override {
    return fail(Error::invalid_token("session_invalid", "no valid console session"));
  }
};

struct Services {
  const Clock& clock;
  BearerVerifier& bearer;
  ClientVerifier& clients;
  ApiKeyVerifier& api_keys;
  Decider& decider;
  AuditLog& audit;
  // Members may be null: a limiter that is not configured limits nothing.
  limits::Limits& limits;
  ConsoleSessionVerifier& console;
  // Usage per API key (docs/key-usage.md): every answered exchange
  // attributable to a key is counted here, by the usage stage. Null: not
  // counted, and no chain has a usage stage.
  usage::UsageCounter* usage = nullptr;
};

}  // namespace latchkey::pipeline
