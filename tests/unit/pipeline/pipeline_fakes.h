// Fakes of the pipeline's services (services.h) for stage and chain tests:
// each answers what the test sets, counts its calls, and can fail.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "audit/audit_log.h"
#include "limits/limits.h"
#include "pipeline/pipeline.h"
#include "pipeline/services.h"
#include "support/fake_clock.h"

namespace latchkey::pipeline::testing {

class FakeBearer final : public BearerVerifier {
 public:
  Result<std::shared_ptr<const Principal>> verify(std::string_view token) override {
    ++calls;
    if (error) return fail(*error);
    if (token != "good") return fail(Error::invalid_token("unknown", "no such token"));
    return principal;
  }
  std::shared_ptr<const Principal> principal = std::make_shared<Principal>();
  std::optional<Error> error;
  int calls = 0;
};

class FakeClients final : public ClientVerifier {
 public:
  Result<AuthenticatedClient> verify(std::string_view id, std::string_view secret) override {
    ++calls;
    if (error) return fail(*error);
    if (secret != "right") return fail(Error::invalid_client("wrong client id or secret"));
    AuthenticatedClient c;
    c.client_id = std::string(id);
    c.user.id = "usr_" + std::string(id);
    c.user.allowed_origins = allowed_origins;
    return c;
  }
  std::vector<std::string> allowed_origins;  // the user's (docs/origin-restrictions.md)
  std::optional<Error> error;
  int calls = 0;
};

class FakeKeys final : public ApiKeyVerifier {
 public:
  Result<KeyIdentity> verify(std::string_view) override {
    if (error) return fail(*error);
    return KeyIdentity{"key_x", "", allowed_origins};
  }
  std::vector<std::string> allowed_origins;  // the key's (docs/origin-restrictions.md)
  std::optional<Error> error;
};

class FakeDecider final : public Decider {
 public:
  Result<authz::DecisionOutcome> decide(const Principal&,
                                        const policy::DecisionRequest& request) override {
    ++calls;
    if (error) return fail(*error);
    authz::DecisionOutcome out;
    out.decision.allow = allow;
    if (!allow) {
      out.decision.reason = "module_missing";
      out.decision.description = "the user lacks a module";
      out.decision.module = "RECORDS";
    }
    out.resolved = request;
    return out;
  }
  bool allow = true;
  std::optional<Error> error;
  int calls = 0;
};

class CollectingAuditLog final : public AuditLog {
 public:
  void record(AuditEvent event) override {
    std::lock_guard lock(mu_);
    events.push_back(std::move(event));
  }
  Status record_durably(AuditEvent event) override {
    record(std::move(event));
    return {};
  }
  std::vector<AuditEvent> events;

 private:
  std::mutex mu_;
};

// The console's cookie: "good-cookie" is the session "ses_1" of usr_1 whose
// CSRF token is "csrf-1"; anything else is refused.
class FakeConsole final : public ConsoleSessionVerifier {
 public:
  Result<ConsoleCaller> verify(std::string_view cookie) override {
    ++calls;
    if (error) return fail(*error);
    if (cookie != "good-cookie") {
      return fail(Error::invalid_token("session_invalid", "no valid console session"));
    }
    auto principal = std::make_shared<Principal>();
    principal->user_id = "usr_1";
    principal->credential = "session ses_1";
    return ConsoleCaller{std::move(principal), "ses_1", digest_secret("csrf-1")};
  }
  std::optional<Error> error;
  int calls = 0;
};

// Services over the fakes; a test changes the fakes, then builds pipelines.
struct FakeServices {
  latchkey::testing::FakeClock clock;
  FakeBearer bearer;
  FakeClients clients;
  FakeKeys keys;
  FakeDecider decider;
  CollectingAuditLog audit;
  limits::Limits limits;
  FakeConsole console;
  Services services() {
    return Services{clock, bearer, clients, keys, decider, audit, limits, console};
  }
};

}  // namespace latchkey::pipeline::testing
